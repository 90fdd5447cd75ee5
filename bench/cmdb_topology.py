"""The CMDB benchmark's topology: a data centre of regions, deterministic for a seed and scale.

At scale 1: 100,000 CIs and 300,000 relationships in 20 regions. Each region hangs off one
core switch (dual-homed to the ring of core routers, needing one of them): access switches
(most single-homed, some also on the next region's core switch and needing one of the two),
physical servers on them (some with a second uplink), storage arrays, VMs on the servers,
clusters of VMs that need all but one member, databases, load balancers, a mesh of
application services depending on each other (cycles included), applications using those,
and business services using applications of their own and of other regions. Only business
services and dual-homed access switches cross regions, so a core switch's blast radius is
most of its region, a few thousand CIs, while its reachable part is larger.

"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

REGIONS = 20
CIS = 100_000
RELATIONSHIPS = 300_000
# Per region at scale 1; VMs fill the rest of the region's share of CIs.
ACCESS_SWITCHES = 20
SERVERS = 1200
STORAGE = 5
CLUSTERS = 150
DATABASES = 250
APPLICATION_SERVICES = 700
LOAD_BALANCERS = 50
APPLICATIONS = 250
BUSINESS_SERVICES = 25
CORE_ROUTERS = 4


@dataclass(frozen=True, slots=True)
class Ci:
    id: uuid.UUID
    class_name: str
    name: str
    region: int | None  # None: shared by the regions (core routers)
    redundancy_required: int | None = None


@dataclass(frozen=True, slots=True)
class Link:
    id: uuid.UUID
    parent: uuid.UUID
    type_name: str
    child: uuid.UUID


@dataclass
class Topology:
    cis: list[Ci] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    core_switches: list[uuid.UUID] = field(default_factory=list)
    _pairs: set[tuple[uuid.UUID, str, uuid.UUID]] = field(default_factory=set)
    _needs: dict[uuid.UUID, int] = field(default_factory=dict)


class _Builder:
    def __init__(self, rnd: random.Random, per_region: float) -> None:
        self.rnd = rnd
        self.per_region = per_region  # how much bigger than at scale 1 each region is
        self.topology = Topology()
        self.meshes: list[list[uuid.UUID]] = []  # each region's applications

    def count(self, base: int) -> int:
        return max(2, round(base * self.per_region))

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rnd.getrandbits(128), version=4)

    def ci(self, class_name: str, name: str, region: int | None) -> uuid.UUID:
        ci = Ci(self.new_id(), class_name, name, region)
        self.topology.cis.append(ci)
        return ci.id

    def link(self, parent: uuid.UUID, type_name: str, child: uuid.UUID) -> bool:
        pair = (parent, type_name, child)
        if parent == child or pair in self.topology._pairs:
            return False
        self.topology._pairs.add(pair)
        self.topology.links.append(Link(self.new_id(), parent, type_name, child))
        return True

    def needs(self, ci: uuid.UUID, required: int) -> None:
        self.topology._needs[ci] = required

    def finish(self) -> Topology:
        needs = self.topology._needs
        self.topology.cis = [
            Ci(ci.id, ci.class_name, ci.name, ci.region, needs.get(ci.id))
            for ci in self.topology.cis
        ]
        self.topology._pairs.clear()
        return self.topology


def build(scale: float = 1.0, seed: int = 11) -> Topology:
    """The topology at `scale` (CIs and relationships grow with it; regions from scale 0.05)."""
    rnd = random.Random(seed)
    regions = max(1, round(REGIONS * min(scale, 1.0)))
    b = _Builder(rnd, scale * REGIONS / regions)
    routers = [b.ci("NetworkDevice", f"core-rtr-{i:02d}", None) for i in range(CORE_ROUTERS)]
    for i, router in enumerate(routers):
        b.link(router, "CONNECTS_TO", routers[(i + 1) % len(routers)])
    cores = [b.ci("NetworkDevice", f"core-sw-{r:02d}", r) for r in range(regions)]
    b.topology.core_switches = cores
    for r, core in enumerate(cores):
        b.link(core, "CONNECTS_TO", routers[r % len(routers)])
        b.link(core, "CONNECTS_TO", routers[(r + 1) % len(routers)])
        b.needs(core, 1)
    applications: list[list[uuid.UUID]] = []
    business = b.count(BUSINESS_SERVICES) * regions
    region_cis = (CIS * scale - len(b.topology.cis) - business) / regions
    for r in range(regions):
        applications.append(_region(b, r, cores, region_cis))
    target = round(RELATIONSHIPS * scale)
    everywhere = [a for region in applications for a in region]
    for r in range(regions):
        for i in range(b.count(BUSINESS_SERVICES)):
            service = b.ci("BusinessService", f"bs-{r:02d}-{i:03d}", r)
            for _ in range(rnd.randint(3, 8)):
                pool = applications[r] if rnd.random() < 0.7 else everywhere
                b.link(service, "DEPENDS_ON", rnd.choice(pool))
    _fill_meshes(b, target)
    return b.finish()


def _region(b: _Builder, r: int, cores: list[uuid.UUID], region_cis: float) -> list[uuid.UUID]:
    """One region's CIs and links; returns its applications."""
    rnd, n = b.rnd, b.count
    core = cores[r]
    start = len(b.topology.cis)
    access = []
    for i in range(n(ACCESS_SWITCHES)):
        switch = b.ci("NetworkDevice", f"acc-sw-{r:02d}-{i:03d}", r)
        b.link(switch, "CONNECTS_TO", core)
        if len(cores) > 1 and rnd.random() < 0.3:
            b.link(switch, "CONNECTS_TO", cores[(r + 1) % len(cores)])
            b.needs(switch, 1)
        access.append(switch)
    storage = []
    for i in range(n(STORAGE)):
        array = b.ci("StorageDevice", f"san-{r:02d}-{i:02d}", r)
        b.link(array, "CONNECTS_TO", rnd.choice(access))
        storage.append(array)
    servers = []
    for i in range(n(SERVERS)):
        server = b.ci("Server", f"srv-{r:02d}-{i:05d}", r)
        b.link(server, "CONNECTS_TO", rnd.choice(access))
        if rnd.random() < 0.2:
            b.link(server, "CONNECTS_TO", rnd.choice(access))
            b.needs(server, 1)
        b.link(server, "CONNECTS_TO", rnd.choice(storage))
        servers.append(server)
    fixed = (
        n(CLUSTERS) + n(DATABASES) + n(APPLICATIONS) + n(LOAD_BALANCERS) + n(APPLICATION_SERVICES)
    )
    vms = []
    for i in range(max(8, round(region_cis - (len(b.topology.cis) - start) - fixed))):
        vm = b.ci("VirtualMachine", f"vm-{r:02d}-{i:05d}", r)
        b.link(vm, "HOSTED_ON", rnd.choice(servers))
        vms.append(vm)
    clusters = []
    for i in range(n(CLUSTERS)):
        cluster = b.ci("Cluster", f"cl-{r:02d}-{i:03d}", r)
        members = rnd.sample(vms, rnd.randint(3, 4))
        for member in members:
            b.link(member, "MEMBER_OF", cluster)
        b.needs(cluster, len(members) - 1)
        clusters.append(cluster)
    databases = []
    for i in range(n(DATABASES)):
        database = b.ci("Database", f"db-{r:02d}-{i:03d}", r)
        host = rnd.choice(clusters) if rnd.random() < 0.5 else rnd.choice(vms)
        b.link(database, "RUNS_ON", host)
        databases.append(database)
    balancers = []
    for i in range(n(LOAD_BALANCERS)):
        balancer = b.ci("LoadBalancer", f"lb-{r:02d}-{i:03d}", r)
        b.link(balancer, "DEPENDS_ON", rnd.choice(clusters))
        b.link(balancer, "CONNECTS_TO", rnd.choice(access))
        balancers.append(balancer)
    services = []
    for i in range(n(APPLICATION_SERVICES)):
        service = b.ci("ApplicationService", f"as-{r:02d}-{i:03d}", r)
        host = rnd.choice(clusters) if rnd.random() < 0.4 else rnd.choice(vms)
        b.link(service, "RUNS_ON", host)
        for database in rnd.sample(databases, rnd.randint(1, 2)):
            b.link(service, "DEPENDS_ON", database)
        if rnd.random() < 0.3:
            b.link(service, "DEPENDS_ON", rnd.choice(balancers))
        services.append(service)
    b.meshes.append(services)
    applications = []
    for i in range(n(APPLICATIONS)):
        application = b.ci("Application", f"app-{r:02d}-{i:03d}", r)
        for service in rnd.sample(services, rnd.randint(2, 4)):
            b.link(application, "DEPENDS_ON", service)
        applications.append(application)
    return applications


def _fill_meshes(b: _Builder, target: int) -> None:
    """Applications of a region depending on each other, up to `target` relationships."""
    while len(b.topology.links) < target:
        for mesh in b.meshes:
            b.link(b.rnd.choice(mesh), "DEPENDS_ON", b.rnd.choice(mesh))
            if len(b.topology.links) >= target:
                break
