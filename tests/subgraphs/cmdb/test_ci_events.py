"""`ciEvents` against real PostgreSQL: the outbox events CI writes record, delivered through
the incidents' subscription machinery (resolvers/events.py) — filter matched against the CI
as it is now, resume with `after`, relationship events with their CI, and the tenant wall."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from db.tables import events as event_tables
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from resolvers.context import Context
from resolvers.events import Event
from subgraphs.cmdb import schema as cmdb_schema
from subgraphs.cmdb import tables
from subgraphs.cmdb.catalogue import builtin_id
from subgraphs.cmdb.events import RELATIONSHIP_ADDED, record_relationship_event
from tests.subgraphs.cmdb.conftest import create_ci
from tests.support import Subgraph

EVENTS = """subscription($filter: CiFilter, $after: String) {
  ciEvents(filter: $filter, after: $after) {
    id kind changedFields configurationItem { name status } relationship { type childId }
  }
}"""


@pytest.fixture(autouse=True)
async def since(owner_sessions: Any) -> AsyncIterator[None]:
    """The feed starts after the events committed before the test: the worker's database
    holds every earlier test's CI events (the demo seeds write one per demo CI)."""
    global SINCE
    async with owner_sessions() as session:
        SINCE = await session.scalar(select(func.max(event_tables.OutboxEvent.id))) or 0
    yield


SINCE = 0


class OutboxFeed:
    """The committed outbox of every tenant, in order, then the end of the stream: the relay
    and hub deliver the same rows (`seq` stands in for the relay's stamp). It ignores which
    tenant asks, so the subscriber's own walls are all that keeps other tenants' CIs out."""

    last_seq = 0  # the stream reads the committed outbox itself

    def __init__(self, owner_sessions: Any) -> None:
        self.owner_sessions = owner_sessions

    async def stream(self, tenant_id: uuid.UUID, after: int | None) -> AsyncIterator[Event]:
        o = event_tables.OutboxEvent
        async with self.owner_sessions() as session:
            rows = (
                await session.scalars(
                    select(o)
                    .where(o.domain == "cmdb", o.id > max(after or 0, SINCE))
                    .order_by(o.id)
                )
            ).all()
        for row in rows:
            yield Event(
                row.id,
                row.tenant_id,
                row.kind,
                row.entity_type,
                row.entity_id,
                row.payload,
                row.created_at,
            )


async def subscribe(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID, **variables: Any
) -> list[dict[str, Any]]:
    context = Context.open(
        sessions,
        principal=REGISTRY.roles.principal(tenant_id, frozenset({"viewer"})),
        events=OutboxFeed(owner_sessions),
    )
    received = []
    try:
        stream = await cmdb_schema.subscribe(
            EVENTS, variable_values=variables, context_value=context
        )
        async for result in stream:  # type: ignore[union-attr]
            assert not result.errors, result.errors
            received.append(result.data["ciEvents"])
    finally:
        await context.close()
    return received


async def test_filtered_events_in_order_and_resumable(
    cmdb: Subgraph, sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    server = await create_ci(cmdb, "Server", "web-01", attributes={"os": "linux"})
    await create_ci(cmdb, "Database", "db-01")
    await cmdb.ok(
        "mutation($id: ID!) { updateConfigurationItem(id: $id, input: {attributes: {cpuCount: 4}}) "
        "{ id } }",
        id=server["id"],
    )
    await cmdb.ok("mutation($id: ID!) { retireConfigurationItem(id: $id) { id } }", id=server["id"])
    servers = await subscribe(sessions, owner_sessions, tenant_id, filter={"className": ["Server"]})
    assert [(e["kind"], e["configurationItem"]["name"]) for e in servers] == [
        ("CREATED", "web-01"),
        ("UPDATED", "web-01"),
        ("RETIRED", "web-01"),
    ]
    assert all(e["configurationItem"]["status"] == "RETIRED" for e in servers)  # as it is now
    assert servers[1]["changedFields"] == ["attributes.cpuCount"]
    resumed = await subscribe(sessions, owner_sessions, tenant_id, after=servers[0]["id"])
    assert [(e["kind"], e["configurationItem"]["name"]) for e in resumed] == [
        ("CREATED", "db-01"),
        ("UPDATED", "web-01"),
        ("RETIRED", "web-01"),
    ]
    everything = await subscribe(sessions, owner_sessions, tenant_id)
    assert {e["configurationItem"]["name"] for e in everything} == {"web-01", "db-01"}


async def test_relationship_events_come_with_a_matching_end(
    cmdb: Subgraph, sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    app = await create_ci(cmdb, "Application", "shop")
    server = await create_ci(cmdb, "Server", "shop-01")
    async with owner_sessions() as session, session.begin():
        relationship = tables.CiRelationship(
            tenant_id=tenant_id,
            parent_id=uuid.UUID(app["id"]),
            child_id=uuid.UUID(server["id"]),
            type_id=builtin_id(tenant_id, "relationship-type", "RUNS_ON"),
        )
        session.add(relationship)
        await session.flush()
        record_relationship_event(
            session,
            tenant_id=tenant_id,
            relationship_id=relationship.id,
            kind=RELATIONSHIP_ADDED,
            parent_id=relationship.parent_id,
            child_id=relationship.child_id,
            type_name="RUNS_ON",
            source=None,
        )
    servers = await subscribe(sessions, owner_sessions, tenant_id, filter={"className": ["Server"]})
    added = [e for e in servers if e["kind"] == "RELATIONSHIP_ADDED"]
    assert added == [
        {
            "id": added[0]["id"],
            "kind": "RELATIONSHIP_ADDED",
            "changedFields": [],
            "configurationItem": {"name": "shop-01", "status": "IN_SERVICE"},
            "relationship": {"type": "RUNS_ON", "childId": server["id"]},
        }
    ]
    everything = await subscribe(sessions, owner_sessions, tenant_id)
    added = [e for e in everything if e["kind"] == "RELATIONSHIP_ADDED"]
    assert added[0]["configurationItem"]["name"] == "shop"  # the parent first


async def test_another_tenants_events_show_nothing(
    cmdb: Subgraph, sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    await create_ci(cmdb, "Server", "theirs-01")
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
    assert await subscribe(sessions, owner_sessions, other) == []
