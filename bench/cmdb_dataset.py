"""The CMDB benchmark's data set: bench/cmdb_topology.py's CIs and relationships in a tenant of
their own, written with COPY (the database orients each relationship, as for any writer), and
open incidents on the CIs of the first region when the incidents schema can point at CIs.

A marker row remembers what was loaded (scale, seed), so the next run reuses it; VACUUM
ANALYZE runs after a load."""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from bench.cmdb_topology import Topology, build
from db.engine import create_engine, session_factory
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes

CMDB_TENANT = "bench-cmdb"
OPEN_INCIDENTS = 2000  # on CIs of the first region, so the blast radius shows them
BATCH = 50_000
VERSION = 2  # of what a data set holds: another reloads it (2: the servers' CPU counts)
CPUS = (2, 4, 8, 16, 32)


@dataclass(frozen=True)
class Loaded:
    tenant_id: uuid.UUID
    core_switch: uuid.UUID  # the first region's: the blast radius the benchmark asks for
    cis: int
    relationships: int
    incidents: int
    seconds: float
    reused: bool


async def load(url: str, *, scale: float = 1.0, seed: int = 11) -> Loaded:
    """Make sure the CMDB bench tenant holds the topology for (scale, seed); load it if not."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS public.bench_cmdb_dataset (scale float8, seed int, "
            "tenant_id uuid, core_switch uuid, cis int, relationships int, incidents int)"
        )
        await conn.execute(
            "ALTER TABLE public.bench_cmdb_dataset ADD COLUMN IF NOT EXISTS version int"
        )
        marker = await conn.fetchrow("SELECT * FROM public.bench_cmdb_dataset")
        if (
            marker
            and marker["scale"] == scale
            and marker["seed"] == seed
            and marker["version"] == VERSION
        ):
            return Loaded(
                marker["tenant_id"],
                marker["core_switch"],
                marker["cis"],
                marker["relationships"],
                marker["incidents"],
                0.0,
                reused=True,
            )
        topology = build(scale, seed)
        tenant = uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)
        await _clear(conn)
        await conn.execute(
            "INSERT INTO tenancy.tenants (id, slug, name) VALUES ($1, $2, 'Bench CMDB')",
            tenant,
            CMDB_TENANT,
        )
    finally:
        await conn.close()
    await _catalogue(url, tenant)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await _topology(conn, tenant, topology)
            incidents = await _incidents(conn, tenant, topology, seed)
            core = topology.core_switches[0]
            await conn.execute(
                "INSERT INTO public.bench_cmdb_dataset VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                scale,
                seed,
                tenant,
                core,
                len(topology.cis),
                len(topology.links),
                incidents,
                VERSION,
            )
        # VACUUM, not only ANALYZE: it marks the pages all-visible, so impact's hops are
        # index-only scans from the first request on (as on a table autovacuum has seen).
        for table in ("configuration_items", "ci_relationships"):
            await conn.execute(f"VACUUM ANALYZE cmdb.{table}")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return Loaded(
        tenant,
        core,
        len(topology.cis),
        len(topology.links),
        incidents,
        time.perf_counter() - started,
        reused=False,
    )


def _attributes(class_name: str, servers: Iterator[int]) -> str:
    """A server's or virtual machine's CPU count (one in 500 has 128, the others 2 to 32);
    nothing for the other classes."""
    if class_name not in ("Server", "VirtualMachine"):
        return "{}"
    n = next(servers)
    return orjson.dumps({"cpuCount": 128 if n % 500 == 0 else CPUS[n % len(CPUS)]}).decode()


async def _clear(conn: asyncpg.Connection) -> None:
    """Remove an earlier CMDB data set (its tenant's rows only: the incidents bench's stay)."""
    old = await conn.fetchval("SELECT id FROM tenancy.tenants WHERE slug = $1", CMDB_TENANT)
    if old is not None:
        async with conn.transaction():
            for table in (
                "incidents.incident_changes",
                "incidents.incident_comments",
                "incidents.incidents",
                "incidents.incident_numbers",
                "cmdb.ci_relationships",
                "cmdb.ci_changes",
                "cmdb.configuration_items",
                "cmdb.relationship_rules",
                "cmdb.relationship_types",
                "cmdb.ci_attributes",
                "cmdb.ci_classes",
                "events.outbox",
                "tenancy.tenants",
            ):
                column = "id" if table == "tenancy.tenants" else "tenant_id"
                await conn.execute(f"DELETE FROM {table} WHERE {column} = $1", old)
    await conn.execute("DELETE FROM public.bench_cmdb_dataset")


async def _catalogue(url: str, tenant: uuid.UUID) -> None:
    """The tenant's built-in classes, attributes, relationship types and rules, as the
    subgraph materialises them."""
    engine = create_engine(url)
    try:
        session: AsyncSession
        async with session_factory(engine)() as session, session.begin():
            await ensure_builtin_classes(session, tenant)
    finally:
        await engine.dispose()


async def _topology(conn: asyncpg.Connection, tenant: uuid.UUID, topology: Topology) -> None:
    switch = '{"deviceType": "switch"}'
    servers = itertools.count()
    records = [
        (
            ci.id,
            tenant,
            builtin_id(tenant, "class", ci.class_name),
            ci.name,
            "IN_SERVICE",
            "PRODUCTION",
            3,
            switch if ci.class_name == "NetworkDevice" else _attributes(ci.class_name, servers),
            ci.redundancy_required,
        )
        for ci in topology.cis
    ]
    for start in range(0, len(records), BATCH):
        await conn.copy_records_to_table(
            "configuration_items",
            schema_name="cmdb",
            columns=[
                "id",
                "tenant_id",
                "class_id",
                "name",
                "status",
                "environment",
                "criticality",
                "attributes",
                "redundancy_required",
            ],
            records=records[start : start + BATCH],
        )
    types = {link.type_name for link in topology.links}
    type_ids = {name: builtin_id(tenant, "relationship-type", name) for name in types}
    links = [
        (link.id, tenant, link.parent, link.child, type_ids[link.type_name])
        for link in topology.links
    ]
    for start in range(0, len(links), BATCH):
        await conn.copy_records_to_table(
            "ci_relationships",
            schema_name="cmdb",
            columns=["id", "tenant_id", "parent_id", "child_id", "type_id"],
            records=links[start : start + BATCH],
        )


async def _incidents(
    conn: asyncpg.Connection, tenant: uuid.UUID, topology: Topology, seed: int
) -> int:
    """Open incidents on CIs of the first region; none when incidents have no `ci_id` (the
    CMDB link is not there)."""
    linked = await conn.fetchval(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'incidents' "
        "AND table_name = 'incidents' AND column_name = 'ci_id'"
    )
    if not linked:
        return 0
    rnd = random.Random(seed)
    region = [ci.id for ci in topology.cis if ci.region == 0]
    count = min(OPEN_INCIDENTS, len(region))
    records: list[tuple[Any, ...]] = [
        (
            uuid.UUID(int=rnd.getrandbits(128), version=4),
            tenant,
            number,
            f"Bench CMDB incident {number}",
            "OPEN",
            rnd.randint(1, 4),
            "MEDIUM",
            "MEDIUM",
            "MONITORING",
            ci,
        )
        for number, ci in enumerate(rnd.sample(region, count), start=1)
    ]
    await conn.copy_records_to_table(
        "incidents",
        schema_name="incidents",
        columns=[
            "id",
            "tenant_id",
            "number",
            "title",
            "status",
            "priority",
            "impact",
            "urgency",
            "source",
            "ci_id",
        ],
        records=records,
    )
    await conn.execute(
        "INSERT INTO incidents.incident_numbers (tenant_id, last_number) VALUES ($1, $2)",
        tenant,
        count,
    )
    return count
