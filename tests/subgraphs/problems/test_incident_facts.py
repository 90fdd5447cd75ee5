"""The read model of incidents (`problems.incident_facts`) kept by the consumer
`problems.incident-facts` from the incidents domain's events, with the shared runner
(opsgraph/events/consumers.py) against real PostgreSQL: what it records, an event applied
twice, a reset, and the tenant wall."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from db.tenants import create_tenant
from resolvers.events import Event
from subgraphs.problems import incident_facts, tables
from tests.subgraphs.problems.conftest import CREATE_INCIDENT
from tests.support import Subgraph

Fact = tables.IncidentFact
UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { id } }"""
START_WORK = """mutation($id: ID!) {
  transitionIncident(id: $id, input: {status: IN_PROGRESS}) { toStatus } }"""


async def facts(owner_sessions: Any, tenant_id: uuid.UUID) -> list[tuple[Any, ...]]:
    async with owner_sessions() as session:
        rows = await session.execute(
            select(Fact.incident_id, Fact.number, Fact.title, Fact.category, Fact.status)
            .where(Fact.tenant_id == tenant_id)
            .order_by(Fact.number)
        )
        return [tuple(row) for row in rows]


async def test_incident_events_fill_the_read_model(
    incidents: Subgraph, catch_up: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    first = (await incidents.ok(CREATE_INCIDENT, input={"title": "Disk full"}))["createIncident"]
    second = (await incidents.ok(CREATE_INCIDENT, input={"title": "VPN"}))["createIncident"]
    await incidents.ok(UPDATE, id=first["id"], input={"title": "Disk full on db", "category": "db"})
    await incidents.ok(START_WORK, id=second["id"])

    assert await catch_up() >= 4
    assert await catch_up() == 0  # every event handled once

    assert await facts(owner_sessions, tenant_id) == [
        (uuid.UUID(first["id"]), 1, "Disk full on db", "db", "OPEN"),
        (uuid.UUID(second["id"]), 2, "VPN", None, "IN_PROGRESS"),
    ]


async def test_an_event_applied_twice_leaves_the_same_row(
    new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    incident = uuid.uuid4()
    ci = uuid.uuid4()
    created = Event(
        1,
        tenant_id,
        "incident.created",
        "Incident",
        incident,
        {
            "id": str(incident),
            "number": 7,
            "changes": {"title": [None, "Slow"], "ciId": [None, str(ci)]},
        },
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    moved = Event(
        2,
        tenant_id,
        "incident.status_changed",
        "Incident",
        incident,
        {"id": str(incident), "number": 7, "changes": {"status": ["OPEN", "ON_HOLD"]}},
        datetime(2026, 12, 2, tzinfo=UTC),
    )
    for event in (created, moved, created, moved):  # delivered again, in order
        context = new_context()
        async with context.db.unit_of_work() as session:  # behind the tenant's wall
            await incident_facts.handle(session, event)

    assert await facts(owner_sessions, tenant_id) == [(incident, 7, "Slow", None, "ON_HOLD")]
    async with owner_sessions() as session:
        row = (
            await session.execute(
                select(Fact.ci_id, Fact.opened_at).where(Fact.tenant_id == tenant_id)
            )
        ).one()
    assert row == (ci, datetime(2026, 12, 1, tzinfo=UTC))


async def test_reset_empties_its_tenant_only_and_events_stay_behind_their_wall(
    incidents: Subgraph,
    new_context: Any,
    catch_up: Any,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
) -> None:
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
    await incidents.ok(CREATE_INCIDENT, input={"title": "mine"})
    await incidents.ok(CREATE_INCIDENT, new_context(other), input={"title": "theirs"})
    await catch_up()
    assert [title for _, _, title, _, _ in await facts(owner_sessions, tenant_id)] == ["mine"]
    assert [title for _, _, title, _, _ in await facts(owner_sessions, other)] == ["theirs"]

    context = new_context(other)
    async with context.db.unit_of_work() as session:
        await incident_facts.reset(session)

    assert await facts(owner_sessions, other) == []
    assert len(await facts(owner_sessions, tenant_id)) == 1
