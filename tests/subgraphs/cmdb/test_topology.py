"""The dependency graph kept in memory (subgraphs/cmdb/topology.py, topology_cache.py)
against impact.py's statement, on a random graph in real PostgreSQL: the same answer in
every direction, type filter, redundancy and depth, with cycles, retired CIs and missing
roots; again after each batch of changes another session commits (brought current by the
change log, not loaded again); never another transaction's uncommitted change nor another
tenant's; the request's own uncommitted change seen by that request only."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import RequestDatabase
from db.tenants import create_tenant
from subgraphs.cmdb import impact, tables, topology_cache
from subgraphs.cmdb import schema as cmdb_schema
from subgraphs.cmdb.catalogue import RELATIONSHIP_TYPES, builtin_id, ensure_builtin_classes
from subgraphs.cmdb.graph_enums import ImpactDirection
from subgraphs.cmdb.redundancy import Impact
from subgraphs.cmdb.topology import Topology
from tests.support import Subgraph, count_rows

Sessions = async_sessionmaker[AsyncSession]
CIS, RELATIONSHIPS = 60, 160


class Shape:
    """A tenant's random graph as written: its CIs and relationships."""

    def __init__(self, tenant: uuid.UUID, seed: int) -> None:
        self.tenant = tenant
        self.random = random.Random(seed)
        self.cis: list[uuid.UUID] = []
        self.relationships: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = {}
        self.types = [builtin_id(tenant, "relationship-type", t.name) for t in RELATIONSHIP_TYPES]

    def ci_rows(self, count: int) -> list[dict[str, Any]]:
        rows = []
        for _ in range(count):
            ci = uuid.uuid4()
            self.cis.append(ci)
            rows.append(
                {
                    "id": ci,
                    "tenant_id": self.tenant,
                    "class_id": builtin_id(self.tenant, "class", "Server"),
                    "name": f"ci-{ci.hex[:12]}",
                    "status": "RETIRED" if self.random.random() < 0.1 else "IN_SERVICE",
                    "environment": "PRODUCTION",
                    "criticality": 2,
                    "redundancy_required": self.random.choice([None, None, None, 1, 2]),
                }
            )
        return rows

    def relationship_rows(self, count: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        taken = set(self.relationships.values())
        while len(rows) < count:
            parent, child = self.random.sample(self.cis, 2)
            triple = (parent, child, self.random.choice(self.types[:4]))
            if triple in taken:
                continue
            taken.add(triple)
            id = uuid.uuid4()
            self.relationships[id] = triple
            rows.append(
                {
                    "id": id,
                    "tenant_id": self.tenant,
                    "parent_id": parent,
                    "child_id": child,
                    "type_id": triple[2],
                }
            )
        return rows


async def write(owner_sessions: Sessions, *statements: Any) -> None:
    """Commit `statements` in another session (the owner's)."""
    async with owner_sessions() as session, session.begin():
        for statement in statements:
            await session.execute(statement)


async def new_shape(owner_sessions: Sessions, seed: int) -> Shape:
    async with owner_sessions() as session, session.begin():
        slug = f"topo-{uuid.uuid4().hex[:10]}"
        tenant = await create_tenant(session, slug, slug)
        await ensure_builtin_classes(session, tenant)
    shape = Shape(tenant, seed)
    await write(owner_sessions, insert(tables.ConfigurationItem).values(shape.ci_rows(CIS)))
    await write(
        owner_sessions, insert(tables.CiRelationship).values(shape.relationship_rows(RELATIONSHIPS))
    )
    return shape


@pytest.fixture
async def shape(owner_sessions: Sessions) -> Shape:
    return await new_shape(owner_sessions, seed=7)


@pytest.fixture
async def db(sessions: Sessions, shape: Shape) -> AsyncIterator[RequestDatabase]:
    scope = RequestDatabase(sessions, shape.tenant)
    yield scope
    await scope.close()


def cached(db: RequestDatabase) -> Topology:
    return topology_cache._GRAPHS[(db.database, db.tenant_id)]


def assert_same(memory: Impact, statement: Impact) -> None:
    """The same CIs at the same distances, reached level by level, each by an edge the
    statement read from a CI one level nearer (which of equally near edges tips a CI
    follows the order of a CI's edges, which the statement leaves to PostgreSQL); the same
    missing roots and the same impact graph."""
    distances = {ci: r.distance for ci, r in statement.reached.items()}
    assert {ci: r.distance for ci, r in memory.reached.items()} == distances
    order = [r.distance for r in memory.reached.values()]
    assert order == sorted(order)
    read = {edge.id: edge for edge in statement.read()}
    for ci, reached in memory.reached.items():
        if reached.via is None:
            assert reached.distance == 0
            continue
        assert read[reached.via.id] == reached.via
        assert reached.via.target == ci
        assert distances[reached.via.source] == reached.distance - 1
    assert memory.missing == statement.missing
    assert sorted(memory.edges()) == sorted(statement.edges())


async def analyse_both(db: RequestDatabase, shape: Shape, queries: int = 40) -> int:
    """Compare random analyses both ways; how many CIs they reached in all."""
    graph = await topology_cache.current(db)
    assert graph is not None
    reached = 0
    for _ in range(queries):
        pick = shape.random
        roots: Sequence[uuid.UUID] = pick.sample(shape.cis, pick.choice([1, 1, 2, 3]))
        if pick.random() < 0.2:
            roots = [*roots, uuid.uuid4(), roots[0]]  # a missing root, a root twice
        direction = pick.choice(list(ImpactDirection))
        depth = pick.choice([0, 1, 2, 5, 50])
        types = pick.choice([None, None, pick.sample(shape.types, 2)])
        redundancy = pick.random() < 0.7 and direction is ImpactDirection.DOWNSTREAM
        memory = graph.analyse(roots, direction, depth, types, redundancy)
        statement = await impact.by_statement(db, roots, direction, depth, types, redundancy)
        assert_same(memory, statement)
        reached += len(memory.reached)
    await assert_holds_rows(db, graph)
    return reached


HELD = frozenset({"id", "name", "class_id"})


async def assert_holds_rows(db: RequestDatabase, graph: Topology) -> None:
    """The graph holds every CI's id, name and class as the database has them now, and an
    analysis hands them out as rows for those columns (or fewer), never for others."""
    ci = tables.ConfigurationItem
    rows = await db.rows(select(ci.id, ci.name, ci.class_id))
    assert len(rows) == len(graph.nodes)
    answer = graph.analyse([row.id for row in rows], ImpactDirection.DOWNSTREAM, 0, None, False)
    held = answer.held(HELD)
    assert held is not None
    assert {row.id: row for row in held} == {row.id: tuple(row) for row in rows}
    assert [row.id for row in held] == list(answer.reached)
    assert [row.name for row in answer.held(frozenset({"name"})) or ()] == [
        row.name for row in held
    ]
    assert answer.held(None) is None and answer.held(HELD | {"status"}) is None


async def test_the_graph_in_memory_answers_as_the_statement(
    db: RequestDatabase, shape: Shape
) -> None:
    assert await analyse_both(db, shape, queries=150) > 300  # not only lone roots


async def test_committed_changes_come_as_deltas(
    db: RequestDatabase, shape: Shape, owner_sessions: Sessions
) -> None:
    await analyse_both(db, shape, queries=5)
    graph = cached(db)
    ci, rel = tables.ConfigurationItem, tables.CiRelationship
    pick = shape.random
    some = pick.sample(list(shape.relationships), 30)
    doomed = shape.cis[-1]
    batches = [
        # New relationships.
        [insert(rel).values(shape.relationship_rows(20))],
        # Relationships removed.
        [delete(rel).where(rel.id.in_(some[:15]))],
        # Retired and back in service.
        [
            update(ci).where(ci.id.in_(shape.cis[:10])).values(status="RETIRED"),
            update(ci).where(ci.id.in_(shape.cis[10:20])).values(status="IN_SERVICE"),
        ],
        # Redundancy changed, set and dropped.
        [
            update(ci).where(ci.id.in_(shape.cis[20:30])).values(redundancy_required=2),
            update(ci).where(ci.id.in_(shape.cis[30:35])).values(redundancy_required=None),
        ],
        # A relationship's type changed (its orientation may change with it).
        [update(rel).where(rel.id.in_(some[15:25])).values(type_id=shape.types[4])],
        # CIs renamed, and moved to another class: the graph holds both.
        [
            update(ci).where(ci.id.in_(shape.cis[40:45])).values(name=ci.name + "-renamed"),
            update(ci)
            .where(ci.id.in_(shape.cis[45:48]))
            .values(class_id=builtin_id(shape.tenant, "class", "VirtualMachine")),
        ],
        # A CI deleted with its relationships; new CIs.
        [
            delete(rel).where((rel.parent_id == doomed) | (rel.child_id == doomed)),
            delete(ci).where(ci.id == doomed),
            insert(ci).values(shape.ci_rows(5)),
        ],
    ]
    shape.cis.remove(doomed)
    # The new CIs wired in (relationship_rows draws from the CIs as they are then).
    batches.append([insert(rel).values(shape.relationship_rows(15))])
    for statements in batches:
        before = graph.snapshot
        await write(owner_sessions, *statements)
        await analyse_both(db, shape, queries=25)
        assert cached(db) is graph  # brought current, not loaded again
        assert graph.snapshot != before
    assert doomed not in graph.nodes
    assert not set(some[:15]) & set(graph.edges)
    assert graph.rows[graph.nodes[shape.cis[40]]].name.endswith("-renamed")


async def test_held_rows_leave_out_a_ci_deleted_after_the_analysis(
    db: RequestDatabase, shape: Shape, owner_sessions: Sessions
) -> None:
    """Like the rows a request would read after its analysis: a CI deleted meanwhile has
    none (None in its place)."""
    graph = await topology_cache.current(db)
    assert graph is not None
    lone = shape.ci_rows(1)[0]
    await write(owner_sessions, insert(tables.ConfigurationItem).values(lone))
    graph = await topology_cache.current(db)
    assert graph is not None
    answer = graph.analyse([lone["id"], shape.cis[0]], ImpactDirection.DOWNSTREAM, 0, None, False)
    await write(
        owner_sessions,
        delete(tables.ConfigurationItem).where(tables.ConfigurationItem.id == lone["id"]),
    )
    assert await topology_cache.current(db) is graph
    held = answer.held(HELD)
    assert held is not None and held[0] is None and held[1] is not None
    assert held[1].id == shape.cis[0]


UPSERT = """mutation($input: UpsertConfigurationItemsInput!) {
  upsertConfigurationItems(input: $input) {
    created relationshipsAdded items { configurationItem { id } }
  }
}"""


async def test_a_discovery_feed_comes_as_one_delta(
    db: RequestDatabase, shape: Shape, new_context: Any, statements: Any
) -> None:
    await analyse_both(db, shape, queries=1)
    graph = cached(db)
    clusters = [
        {"externalId": f"cl-{n}", "className": "Cluster", "name": f"cl-{n}", "attributes": {}}
        for n in range(3)
    ]
    members = [
        {
            "externalId": f"vm-{n}",
            "className": "VirtualMachine",
            "name": f"vm-{n}",
            "attributes": {},
            "relationships": [{"type": "MEMBER_OF", "externalId": f"cl-{n % 3}"}],
        }
        for n in range(30)
    ]
    feed = Subgraph(cmdb_schema, lambda: new_context(shape.tenant))
    data = await feed.ok(UPSERT, input={"source": "vcenter", "items": clusters + members})
    result = data["upsertConfigurationItems"]
    assert (result["created"], result["relationshipsAdded"]) == (33, 30)
    shape.cis += [uuid.UUID(item["configurationItem"]["id"]) for item in result["items"]]
    statements.reset()
    await topology_cache.current(db)
    assert len(statements.statements) == 1  # the delta: 33 CIs, 30 relationships
    assert cached(db) is graph and len(graph.nodes) == CIS + 33
    await analyse_both(db, shape, queries=40)


async def test_analyses_at_once_on_a_cold_process_load_the_graph_once(
    sessions: Sessions, shape: Shape, statements: Any
) -> None:
    scopes = [RequestDatabase(sessions, shape.tenant) for _ in range(3)]
    try:
        answers = await asyncio.gather(
            *(impact.analyse(db, shape.cis[:2], ImpactDirection.DOWNSTREAM, 20) for db in scopes)
        )
    finally:
        for db in scopes:
            await db.close()
    loads = [sql for sql in statements.statements if "array_agg(id) AS ids" in sql]
    assert len(loads) == 1
    assert answers[0].reached == answers[1].reached == answers[2].reached


async def test_a_graph_left_unused_past_half_the_retention_is_loaded_again(
    db: RequestDatabase, shape: Shape
) -> None:
    await analyse_both(db, shape, queries=1)
    graph = cached(db)
    graph.checked -= topology_cache.MAX_AGE + 1
    await analyse_both(db, shape, queries=5)
    assert cached(db) is not graph


async def test_changes_older_than_the_retention_are_pruned_by_the_next_write(
    shape: Shape, owner_sessions: Sessions
) -> None:
    changes = tables.TopologyChange
    of_tenant = changes.tenant_id == shape.tenant
    await write(
        owner_sessions,
        update(changes).where(of_tenant).values(at=text("now() - '2 hours'::interval")),
    )
    old = await count_rows(owner_sessions, changes, shape.tenant)
    assert old == CIS + RELATIONSHIPS
    await write(
        owner_sessions,
        update(tables.ConfigurationItem)
        .where(tables.ConfigurationItem.id == shape.cis[0])
        .values(redundancy_required=3),
    )
    assert await count_rows(owner_sessions, changes, shape.tenant) == 1


async def test_another_transactions_uncommitted_change_is_not_seen(
    db: RequestDatabase, shape: Shape, owner_sessions: Sessions
) -> None:
    await analyse_both(db, shape, queries=1)
    async with owner_sessions() as session, session.begin():
        (row,) = shape.relationship_rows(1)
        await session.execute(insert(tables.CiRelationship).values(row))
        await analyse_both(db, shape, queries=10)
        assert row["id"] not in cached(db).edges
        await session.rollback()
    shape.relationships.pop(row["id"])
    await analyse_both(db, shape, queries=10)


async def test_the_requests_own_change_is_seen_by_it_alone(
    db: RequestDatabase, shape: Shape
) -> None:
    await analyse_both(db, shape, queries=1)
    graph = cached(db)
    lone = [
        {**row, "status": "IN_SERVICE", "redundancy_required": None} for row in shape.ci_rows(2)
    ]
    provider, dependent = lone[0]["id"], lone[1]["id"]
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as session:
            await session.execute(insert(tables.ConfigurationItem).values(lone))
            await session.execute(
                insert(tables.CiRelationship).values(
                    tenant_id=shape.tenant,
                    parent_id=dependent,
                    child_id=provider,
                    type_id=shape.types[0],  # DEPENDS_ON: the parent depends on the child
                )
            )
            assert await topology_cache.current(db) is None
            seen = await impact.analyse(db, [provider], ImpactDirection.DOWNSTREAM, 5)
            assert {ci: r.distance for ci, r in seen.reached.items()} == {
                provider: 0,
                dependent: 1,
            }
            raise RuntimeError("rolled back")
    after = await impact.analyse(db, [provider], ImpactDirection.DOWNSTREAM, 5)
    assert after.missing == [provider]
    assert cached(db) is graph and provider not in graph.nodes and dependent not in graph.nodes


async def test_another_tenants_changes_never_show(
    db: RequestDatabase, shape: Shape, owner_sessions: Sessions, sessions: Sessions
) -> None:
    await analyse_both(db, shape, queries=1)
    graph = cached(db)
    known = (set(graph.nodes), set(graph.edges), graph.retired)
    other = await new_shape(owner_sessions, seed=8)
    await write(
        owner_sessions,
        insert(tables.CiRelationship).values(other.relationship_rows(10)),
        update(tables.ConfigurationItem)
        .where(tables.ConfigurationItem.id.in_(other.cis[:5]))
        .values(status="RETIRED"),
    )
    await analyse_both(db, shape, queries=10)
    assert (set(graph.nodes), set(graph.edges), graph.retired) == known
    theirs = RequestDatabase(sessions, other.tenant)
    try:
        await analyse_both(theirs, other, queries=10)
        assert not set(cached(theirs).nodes) & known[0]
    finally:
        await theirs.close()


async def test_an_analysis_on_a_current_graph_sends_one_statement(
    sessions: Sessions, shape: Shape, statements: Any
) -> None:
    for _ in range(2):  # the first loads the graph
        statements.reset()
        db = RequestDatabase(sessions, shape.tenant)
        try:
            await impact.analyse(db, shape.cis[:1], ImpactDirection.DOWNSTREAM, 20)
        finally:
            await db.close()
    begin, *sent = statements.statements
    assert begin.startswith("BEGIN; SELECT set_config")
    assert len(sent) == 1 and "pg_visible_in_snapshot" in sent[0], sent
