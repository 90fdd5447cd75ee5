"""The CMDB's demo data: a believable topology for Demo Corp. Three business services
(Online Shop, Payments, E-mail) on their applications and services, which run on clusters of
servers that need k of their n members (`redundancy_required`), on databases with replicas,
behind load balancers, wired to access switches, two core switches and the edge routers.

Every CI goes into `demo.entities["ConfigurationItem"]` (id, name, className) for the domains
seeded after this one (demo incidents point at CIs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.domain import DemoTenant
from subgraphs.cmdb import tables
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes
from subgraphs.cmdb.enums import CiChangeKind
from subgraphs.cmdb.events import EVENT_KIND, record_ci_event

NETWORK, PLATFORM, DATABASE, DESK = (
    "Network Operations",
    "Platform Engineering",
    "Database Administration",
    "Service Desk",
)


@dataclass
class Topology:
    """CIs and relationships as they are declared, by name."""

    cis: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # parent, type, child

    def ci(
        self,
        class_name: str,
        name: str,
        team: str,
        criticality: int = 3,
        redundancy: int | None = None,
        **attributes: Any,
    ) -> str:
        self.cis[name] = {
            "class_name": class_name,
            "name": name,
            "team": team,
            "criticality": criticality,
            "redundancy_required": redundancy,
            "attributes": attributes,
        }
        return name

    def link(self, parent: str, type_name: str, *children: str) -> None:
        self.edges.extend((parent, type_name, child) for child in children)


def _servers(t: Topology, prefix: str, count: int, rack: str, os: str = "linux") -> list[str]:
    names = []
    for n in range(1, count + 1):
        name = t.ci(
            "Server",
            f"{prefix}-{n:02d}",
            PLATFORM,
            fqdn=f"{prefix}-{n:02d}.dc1.demo.example",
            ipAddress=f"10.{len(t.cis) % 250}.{n}.10",
            os=os,
            cpuCount=16,
            memoryGb=64,
            installDate="2024-03-01",
        )
        t.link(name, "CONNECTS_TO", rack)
        names.append(name)
    return names


def _cluster(t: Topology, name: str, members: list[str], needs: int, technology: str) -> str:
    t.ci("Cluster", name, PLATFORM, 2, needs, technology=technology)
    for member in members:
        t.link(member, "MEMBER_OF", name)
    return name


def topology() -> Topology:
    t = Topology()
    for edge in ("edge-rtr-01", "edge-rtr-02"):
        t.ci("NetworkDevice", edge, NETWORK, 1, deviceType="router", vendor="Juniper")
    t.ci("NetworkDevice", "fw-01", NETWORK, 1, deviceType="firewall", vendor="Palo Alto")
    t.link("fw-01", "CONNECTS_TO", "edge-rtr-01", "edge-rtr-02")
    cores = ["core-sw-01", "core-sw-02"]
    for core in cores:
        t.ci("NetworkDevice", core, NETWORK, 1, deviceType="switch", vendor="Arista", portCount=48)
        t.link(core, "CONNECTS_TO", "fw-01")
    racks = {}
    for rack in "abcd":
        # An access switch needs one of its two uplinks.
        racks[rack] = t.ci(
            "NetworkDevice", f"sw-rack-{rack}", NETWORK, 2, 1, deviceType="switch", portCount=48
        )
        t.link(racks[rack], "CONNECTS_TO", *cores)
    t.ci("StorageDevice", "san-01", PLATFORM, 1, vendor="NetApp", capacityTb=200)
    t.link("san-01", "CONNECTS_TO", *cores)

    web = _cluster(t, "web-cluster", _servers(t, "web", 6, racks["a"]), 3, "nginx")
    api = _cluster(t, "api-cluster", _servers(t, "api", 6, racks["b"]), 3, "kubernetes")
    pay = _cluster(t, "payments-cluster", _servers(t, "pay", 4, racks["c"]), 2, "kubernetes")
    mail = _cluster(t, "mail-cluster", _servers(t, "mail", 3, racks["d"]), 2, "postfix")
    databases = {}
    for name, engine, rack in (
        ("shop-db", "postgresql", "b"),
        ("payments-db", "postgresql", "c"),
        ("mail-db", "mysql", "d"),
    ):
        nodes = _servers(t, name, 2, racks[rack])
        cluster = _cluster(t, f"{name}-cluster", nodes, 1, "patroni")
        databases[name] = t.ci("Database", name, DATABASE, 1, engine=engine, port=5432)
        t.link(name, "RUNS_ON", cluster)
        t.link(name, "HOSTED_ON", "san-01")
    hypervisors = _servers(t, "hv", 3, racks["a"])
    for n, (vm, purpose) in enumerate(
        (
            ("monitor-01", "monitoring"),
            ("monitor-02", "monitoring"),
            ("jump-01", "bastion"),
            ("log-01", "logging"),
            ("log-02", "logging"),
            ("build-01", "ci"),
            ("build-02", "ci"),
            ("build-03", "ci"),
            ("backup-01", "backup"),
            ("backup-02", "backup"),
            ("dns-01", "dns"),
            ("dns-02", "dns"),
        )
    ):
        t.ci(
            "VirtualMachine",
            vm,
            PLATFORM,
            3,
            os="linux",
            hypervisor="kvm",
            fqdn=f"{vm}.{purpose}.demo.example",
        )
        t.link(vm, "HOSTED_ON", hypervisors[n % len(hypervisors)])
    balancers = {}
    for name, pool in (("lb-shop", web), ("lb-api", api), ("lb-pay", pay), ("lb-mail", mail)):
        balancers[name] = t.ci("LoadBalancer", name, NETWORK, 1, vendor="F5", model="BIG-IP")
        t.link(name, "DEPENDS_ON", pool)
        t.link(name, "CONNECTS_TO", *cores)

    shop, payments, email = (
        t.ci("BusinessService", "Online Shop", DESK, 1, serviceLevel="gold"),
        t.ci("BusinessService", "Payments", DESK, 1, serviceLevel="gold"),
        t.ci("BusinessService", "E-mail", DESK, 2, serviceLevel="silver"),
    )
    services = {
        name: t.ci("ApplicationService", name, PLATFORM, 1, url=url, port=443)
        for name, url in (
            ("Shop Frontend", "https://shop.demo.example"),
            ("Catalog API", "https://api.demo.example/catalog"),
            ("Checkout API", "https://api.demo.example/checkout"),
            ("Fraud Check", "https://pay.demo.example/fraud"),
            ("Webmail", "https://mail.demo.example"),
        )
    }
    gateway = t.ci("Application", "Payment Gateway", PLATFORM, 1, vendor="Adyen", version="4.2")
    mailer = t.ci("Application", "Mail Server", PLATFORM, 2, vendor="Postfix", version="3.8")
    t.link(shop, "DEPENDS_ON", services["Shop Frontend"], services["Catalog API"])
    t.link(shop, "DEPENDS_ON", services["Checkout API"], payments)
    t.link(payments, "DEPENDS_ON", gateway, services["Fraud Check"])
    t.link(email, "DEPENDS_ON", mailer, services["Webmail"])
    t.link(services["Shop Frontend"], "DEPENDS_ON", balancers["lb-shop"], services["Catalog API"])
    t.link(services["Shop Frontend"], "RUNS_ON", web)
    for api_service in ("Catalog API", "Checkout API"):
        t.link(services[api_service], "DEPENDS_ON", balancers["lb-api"], databases["shop-db"])
        t.link(services[api_service], "RUNS_ON", api)
    t.link(services["Fraud Check"], "DEPENDS_ON", databases["payments-db"])
    t.link(services["Fraud Check"], "RUNS_ON", pay)
    t.link(gateway, "DEPENDS_ON", databases["payments-db"])
    t.link(gateway, "RUNS_ON", pay)
    t.link(services["Webmail"], "DEPENDS_ON", balancers["lb-mail"])
    t.link(services["Webmail"], "RUNS_ON", mail)
    t.link(mailer, "DEPENDS_ON", databases["mail-db"])
    t.link(mailer, "RUNS_ON", mail)
    return t


async def seed(session: AsyncSession, demo: DemoTenant) -> None:
    tenant = demo.tenant_id
    await ensure_builtin_classes(session, tenant)
    t = topology()
    teams = {team["name"]: team["id"] for team in demo.entities.get("Team", [])}
    owners = [u["id"] for u in demo.entities.get("User", []) if "viewer" not in u["roles"]]
    ids = {name: uuid.UUID(int=demo.random.getrandbits(128)) for name in t.cis}
    cis: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for name, ci in t.cis.items():
        values = {
            "id": ids[name],
            "tenant_id": tenant,
            "class_id": builtin_id(tenant, "class", ci["class_name"]),
            "name": name,
            "status": "IN_SERVICE",
            "environment": "PRODUCTION",
            "criticality": ci["criticality"],
            "owner_id": demo.random.choice(owners) if owners else None,
            "support_team_id": teams.get(ci["team"]),
            "attributes": ci["attributes"],
            "source": None,
            "external_id": None,
            "redundancy_required": ci["redundancy_required"],
            "created_at": demo.now,
            "updated_at": demo.now,
        }
        cis.append(values)
        changes.append(
            {
                "tenant_id": tenant,
                "ci_id": ids[name],
                "actor_id": None,
                "kind": "CREATED",
                "changes": {
                    "className": [None, ci["class_name"]],
                    "name": [None, name],
                    **{f"attributes.{k}": [None, v] for k, v in sorted(ci["attributes"].items())},
                },
                "created_at": demo.now,
                "updated_at": demo.now,
            }
        )
    relationships = [
        {
            "tenant_id": tenant,
            "parent_id": ids[parent],
            "child_id": ids[child],
            "type_id": builtin_id(tenant, "relationship-type", type_name),
            "created_at": demo.now,
            "updated_at": demo.now,
        }
        for parent, type_name, child in t.edges
    ]
    await session.execute(insert(tables.ConfigurationItem), cis)
    await session.execute(insert(tables.CiChange), changes)
    await session.execute(insert(tables.CiRelationship), relationships)
    # The events a creation writes, so that read models fed by them (the incidents domain's
    # alert → CI mapping) know the demo CIs as they know CIs created through the API.
    for values, change in zip(cis, changes, strict=True):
        created = EVENT_KIND[CiChangeKind.CREATED]
        record_ci_event(session, SimpleNamespace(**values), created, change["changes"])
    demo.entities["ConfigurationItem"] = [
        {"id": ids[name], "name": name, "className": ci["class_name"]} for name, ci in t.cis.items()
    ]
