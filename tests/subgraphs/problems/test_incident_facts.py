"""The read model of incidents (`problems.incident_facts`) kept by the consumer
`problems.incident-facts` from the incidents domain's events, with the shared runner
(opsgraph/events/consumers.py) against real PostgreSQL: what it records, an event applied
twice, a reset, and the tenant wall."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select

from db.outbox import record_event
from db.scope import walled_unit_of_work
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


def incident_event(
    tenant_id: uuid.UUID, seq: int, kind: str, incident: uuid.UUID, number: int, **changes: Any
) -> Event:
    payload = {
        "id": str(incident),
        "number": number,
        "changes": {name: [None, value] for name, value in changes.items()},
    }
    return Event(
        seq, tenant_id, kind, "Incident", incident, payload, datetime(2026, 12, seq, tzinfo=UTC)
    )


async def test_a_burst_handled_at_once_is_what_each_event_in_turn_makes(
    new_context: Any, owner_sessions: Any, sessions: Any
) -> None:
    """Creates of distinct incidents go in one statement per set of columns; the rest, and a
    create seen again within the burst, in turn (their order matters)."""
    tenants = []
    for _ in range(2):
        async with owner_sessions() as session, session.begin():
            tenants.append(await create_tenant(session, f"f-{uuid.uuid4().hex[:10]}", "F"))
    a, b, c, d = (uuid.uuid4() for _ in range(4))

    def burst(tenant_id: uuid.UUID) -> list[Event]:
        created = "incident.created"
        return [
            incident_event(tenant_id, 1, created, a, 1, title="Disk"),
            incident_event(tenant_id, 2, created, b, 2, title="VPN", category="net"),
            incident_event(tenant_id, 3, created, c, 3, title="Mail"),
            incident_event(tenant_id, 4, "incident.updated", a, 1, title="Disk full"),
            incident_event(tenant_id, 5, created, d, 4, title="DNS"),
            incident_event(tenant_id, 6, created, a, 1, title="Disk"),  # delivered again
            incident_event(tenant_id, 7, created, d, 4, title="DNS"),  # again, in the same run
            incident_event(tenant_id, 8, "incident.status_changed", d, 4, status="RESOLVED"),
        ]

    engine = sessions.kw["bind"].sync_engine
    sent: list[str] = []

    def count(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if "incident_facts" in statement:
            sent.append(statement)

    in_turn, at_once = tenants
    async with new_context(in_turn).db.unit_of_work() as session:
        for event in burst(in_turn):
            await incident_facts.handle(session, event)
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        async with new_context(at_once).db.unit_of_work() as session:
            await incident_facts.handle_many(session, burst(at_once))
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)

    expected = await facts(owner_sessions, in_turn)
    assert await facts(owner_sessions, at_once) == expected
    assert [row[2:] for row in expected] == [
        ("Disk", None, "OPEN"),
        ("VPN", "net", "OPEN"),
        ("Mail", None, "OPEN"),
        ("DNS", None, "RESOLVED"),
    ]
    # a and c, then b (other columns); the update; d and a again; d again; the status.
    assert len(sent) == 6


async def test_an_incident_gone_before_its_commit_is_not_modelled(
    incidents: Subgraph, catch_up: Any, owner_sessions: Any, sessions: Any, tenant_id: uuid.UUID
) -> None:
    """An incident deleted before its commit took no number; before incidents_0015 its
    created event stayed in the outbox with a null one, and outboxes keep such events (a
    rebuild reads them again). Nothing to model: the consumer goes on past it (it failed on
    it, and so stopped there for every tenant)."""
    gone = uuid.uuid4()
    async with walled_unit_of_work(sessions, tenant_id) as session:
        record_event(
            session,
            tenant_id=tenant_id,
            domain="incidents",
            kind=incident_facts.CREATED,
            entity_type="Incident",
            entity_id=gone,
            payload={"id": str(gone), "number": None, "changes": {"title": [None, "gone"]}},
        )
    kept = (await incidents.ok(CREATE_INCIDENT, input={"title": "kept"}))["createIncident"]

    assert await catch_up() == 2  # both created events, neither failing
    assert await facts(owner_sessions, tenant_id) == [
        (uuid.UUID(kept["id"]), 1, "kept", None, "OPEN")
    ]
