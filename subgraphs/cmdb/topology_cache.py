"""The process's in-memory dependency graphs (topology.py), a few tenants' (least recently
used first out), each kept current from the change log (`cmdb.topology_changes`, migration
cmdb_0004) without a lock: a graph knows the PostgreSQL snapshot it is as of.

Every analysis sends one statement, in the request's walled transaction: it returns its own
snapshot (`pg_current_snapshot()`: in READ COMMITTED, the statement's) and, read in that same
snapshot, the current state of every relationship and CI named by the changes committed
since the graph's snapshot (`NOT pg_visible_in_snapshot`; `xid >= pg_snapshot_xmin` lets the
`(tenant_id, xid)` index skip the rest). A relationship with no row is gone. Applied, they
bring the graph to the new snapshot; with no change the statement reads one index entry.

A graph is loaded whole (one statement, one snapshot) when the process has none for the
tenant, or when it is older than half the change log's retention (an hour: older changes
may be pruned). A transaction that holds a graph change uncommitted longer than that half
hour could have its rows pruned before a busy process reads them; the application's own
transactions are cut short long before (db.engine's timeouts).

The shared graph never takes in what is not committed. The request's own transaction sees
its own changes (a mutation reading back, say): when the statement finds any (its `xid` is
`pg_current_xact_id_if_assigned()`), the request is answered by impact.py's statement and
the graph is left as it was. Two requests may bring the same graph current at once: a delta
is applied only to the snapshot it was read against; otherwise it is read again against the
graph's new snapshot, a few times at most, then the request is answered by the statement.

Besides its place in the graph, a CI's name and class are kept (topology.py's `HELD`): the
change log has renamed CIs and CIs moved to another class too (migration cmdb_0005).

Graphs are kept per database (its URL) and tenant: one process may serve several databases
(tests, benchmarks), whose snapshots mean nothing to each other."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections import OrderedDict

from sqlalchemy import text

from db.scope import RequestDatabase
from subgraphs.cmdb.topology import Topology

# Graphs kept per process; one of 100,000 CIs and 300,000 relationships takes ~190 MB (13 MB
# of it the CIs' held rows).
TENANTS = 4
MAX_AGE = 30 * 60  # seconds: half the change log's retention (migration cmdb_0004)
ATTEMPTS = 3  # deltas read for one request whose graph another request moved meanwhile

# Whether the request's own transaction changed the graph: its rows are uncommitted.
_OWN = """EXISTS (
    SELECT FROM cmdb.topology_changes o
    WHERE o.tenant_id = :tenant AND o.xid = pg_current_xact_id_if_assigned()
)"""

_LOAD = text(
    f"""
SELECT pg_current_snapshot()::text AS snapshot, {_OWN} AS own, r.*, c.*
FROM (
    SELECT array_agg(id) AS ids, array_agg(provider_id) AS providers,
           array_agg(dependent_id) AS dependents, array_agg(type_id) AS types
    FROM cmdb.ci_relationships WHERE tenant_id = :tenant
) r, (
    SELECT array_agg(id) AS cis, array_agg(name) AS names, array_agg(class_id) AS classes,
           array_agg(id) FILTER (WHERE status = 'RETIRED') AS retired,
           array_agg(id) FILTER (WHERE redundancy_required IS NOT NULL) AS redundant,
           array_agg(redundancy_required) FILTER (WHERE redundancy_required IS NOT NULL)
               AS required
    FROM cmdb.configuration_items WHERE tenant_id = :tenant
) c
"""
)

_DELTA = text(
    f"""
WITH changed AS (
    SELECT c.relationship_id, c.ci_id FROM cmdb.topology_changes c
    WHERE c.tenant_id = :tenant
      AND c.xid >= pg_snapshot_xmin(CAST(CAST(:snapshot AS text) AS pg_snapshot))
      AND NOT pg_visible_in_snapshot(c.xid, CAST(CAST(:snapshot AS text) AS pg_snapshot))
)
SELECT 'snapshot' AS kind, NULL::uuid AS id, NULL::uuid AS provider_id,
       NULL::uuid AS dependent_id, NULL::uuid AS type_id, NULL::boolean AS present,
       NULL::boolean AS retired, NULL::integer AS required, NULL::text AS name,
       NULL::uuid AS class_id, pg_current_snapshot()::text AS snapshot, {_OWN} AS own
UNION ALL
SELECT 'relationship', ch.id, r.provider_id, r.dependent_id, r.type_id, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL
FROM (SELECT DISTINCT relationship_id AS id FROM changed WHERE relationship_id IS NOT NULL) ch
LEFT JOIN cmdb.ci_relationships r ON r.tenant_id = :tenant AND r.id = ch.id
UNION ALL
SELECT 'ci', ch.id, NULL, NULL, NULL, ci.id IS NOT NULL, ci.status = 'RETIRED',
       ci.redundancy_required, ci.name, ci.class_id, NULL, NULL
FROM (SELECT DISTINCT ci_id AS id FROM changed WHERE ci_id IS NOT NULL) ch
LEFT JOIN cmdb.configuration_items ci ON ci.tenant_id = :tenant AND ci.id = ch.id
"""
)

_GRAPHS: OrderedDict[tuple[str, uuid.UUID], Topology] = OrderedDict()
_LOADING: dict[tuple[str, uuid.UUID], asyncio.Future[None]] = {}  # graphs being loaded


async def current(db: RequestDatabase) -> Topology | None:
    """The tenant's graph as the request's database sees it now, or None when the request
    is to be answered by the statement (its own transaction changed the graph; or the graph
    kept moving under it)."""
    key = (db.database, db.tenant_id)
    graph = _GRAPHS.get(key)
    for _ in range(ATTEMPTS):
        if graph is None or time.monotonic() - graph.checked > MAX_AGE:
            loading = _LOADING.get(key)
            if loading is None or loading.get_loop() is not asyncio.get_running_loop():
                return await _load(db, key)
            await asyncio.wait({loading})  # another request's load (cancelling this one: not it)
            graph = _GRAPHS.get(key)
            continue
        _GRAPHS.move_to_end(key)
        sent = graph.snapshot
        rows = await db.rows(_DELTA, {"tenant": db.tenant_id, "snapshot": sent})
        head = next(row for row in rows if row.kind == "snapshot")
        if head.own:
            return None
        if _GRAPHS.get(key) is graph and graph.snapshot == sent:
            graph.apply(
                (row for row in rows if row.kind == "relationship"),
                [row for row in rows if row.kind == "ci"],
            )
            graph.snapshot, graph.checked = head.snapshot, time.monotonic()
            return graph
        graph = _GRAPHS.get(key)  # another request moved it (or dropped it) meanwhile
    return None


async def _load(db: RequestDatabase, key: tuple[str, uuid.UUID]) -> Topology | None:
    """Load the tenant's graph whole. Requests that need it meanwhile wait for this one's
    (a load takes seconds of the process's time: each of them loading its own at start-up
    would take the process away for as many times that)."""
    loading = _LOADING[key] = asyncio.get_running_loop().create_future()
    try:
        return await _read_whole(db, key)
    finally:
        del _LOADING[key]
        loading.set_result(None)


async def _read_whole(db: RequestDatabase, key: tuple[str, uuid.UUID]) -> Topology | None:
    (row,) = await db.rows(_LOAD, {"tenant": db.tenant_id})
    if row.own:
        return None
    graph = Topology(row.snapshot, time.monotonic())
    collecting = gc.isenabled()
    gc.disable()  # nothing to collect among the millions of objects made: half the time
    try:
        graph.load(
            (row.ids or (), row.providers or (), row.dependents or (), row.types or ()),
            (row.cis or (), row.names or (), row.classes or ()),
            row.retired or (),
            zip(row.redundant or (), row.required or (), strict=True),
        )
    finally:
        if collecting:
            gc.enable()
    # Out of every later collection, as the server's start-up heap (opsgraph/gc_tuning.py):
    # a full collection traversing a 300,000-relationship graph took 0.4 s. Its objects
    # hold no cycle: they are freed by reference counting once the graph is dropped.
    gc.freeze()
    _GRAPHS[key] = graph
    _GRAPHS.move_to_end(key)
    while len(_GRAPHS) > TENANTS:
        _GRAPHS.popitem(last=False)
    return graph
