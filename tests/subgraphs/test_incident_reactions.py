"""Incidents reacting to the problems domain's events (subgraphs/incidents/reactions.py) with
the real consumer runner over real PostgreSQL: the events are written to the outbox as the
problems domain writes them (CONTRACT-events section 2), the runner hands them to the
handler behind each event's tenant wall."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.outbox import record_event
from db.tables import audit, events
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.events.consumers import ConsumerRunner
from subgraphs.incidents.reactions import PROBLEM_REACTIONS
from tests.support import Subgraph, count_rows

Sessions = async_sessionmaker[AsyncSession]
PROBLEM = uuid.uuid4()
CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id number } }"
TRANSITION = """mutation($id: ID!, $input: TransitionIncidentInput!) {
  transitionIncident(id: $id, input: $input) { toStatus } }"""
READ = """query($id: ID!) { incident(id: $id) { status holdReason
  comments { body visibility author { id } } } }"""


@pytest.fixture
async def runner(owner_sessions: Sessions, sessions: Sessions) -> AsyncIterator[ConsumerRunner]:
    """The incidents' reaction consumer under a name of the test's own (its position starts
    after the events committed so far), run by the real runner as the application role. Its
    position goes with the test: a position left behind would keep later events from being
    pruned."""
    consumer = dataclasses.replace(PROBLEM_REACTIONS, name=f"test.{uuid.uuid4().hex[:12]}")
    runner = ConsumerRunner(consumer, owner_sessions, sessions)
    await runner.register()
    yield runner
    async with owner_sessions() as session, session.begin():
        await session.execute(
            delete(events.ConsumerPosition).where(events.ConsumerPosition.name == runner.name)
        )


async def incident(incidents: Subgraph, title: str, *moves: dict[str, Any]) -> str:
    made = await incidents.ok(CREATE, t=title)
    id = str(made["createIncident"]["id"])
    for input in moves:
        await incidents.ok(TRANSITION, id=id, input=input)
    return id


RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Done."}
CLOSE = {"status": "CLOSED"}
HOLD_FOR_PROBLEM = {"status": "ON_HOLD", "holdReason": "AWAITING_PROBLEM"}
HOLD_FOR_VENDOR = {"status": "ON_HOLD", "holdReason": "AWAITING_VENDOR"}


async def problem_event(
    owner_sessions: Sessions, tenant_id: uuid.UUID, kind: str, **payload: Any
) -> None:
    """An event as the problems domain writes it, committed."""
    async with owner_sessions() as session, session.begin():
        record_event(
            session,
            tenant_id=tenant_id,
            domain="problems",
            kind=kind,
            entity_type="Problem",
            entity_id=PROBLEM,
            payload={"id": str(PROBLEM), "number": "PRB-17", "actorId": None, **payload},
        )


async def comments(incidents: Subgraph, id: str) -> list[dict[str, Any]]:
    return (await incidents.ok(READ, id=id))["incident"]["comments"]  # type: ignore[no-any-return]


async def outbox_kinds(
    owner_sessions: Sessions, tenant_id: uuid.UUID, ids: Sequence[str]
) -> list[str]:
    async with owner_sessions() as session:
        return list(
            await session.scalars(
                select(events.OutboxEvent.kind)
                .where(
                    events.OutboxEvent.tenant_id == tenant_id,
                    events.OutboxEvent.entity_id.in_([uuid.UUID(id) for id in ids]),
                    events.OutboxEvent.domain == "incidents",
                )
                .order_by(events.OutboxEvent.id)
            )
        )


NOTE = "Workaround from PRB-17 (Mail queue stuck): Restart the relay."


async def test_the_consumer_is_declared_by_the_incidents_manifest() -> None:
    assert PROBLEM_REACTIONS in REGISTRY.consumers()
    assert PROBLEM_REACTIONS.name == "incidents.problem-reactions"
    assert PROBLEM_REACTIONS.domains == {"problems"}


async def test_a_workaround_notes_each_linked_open_incident_once(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, runner: ConsumerRunner
) -> None:
    open_ = await incident(incidents, "Mail slow")
    held = await incident(incidents, "Mail stuck", HOLD_FOR_VENDOR)
    closed = await incident(incidents, "Mail gone", RESOLVE, CLOSE)
    resolved = await incident(incidents, "Mail lost", RESOLVE)
    unknown = str(uuid.uuid4())
    linked = [open_, held, closed, resolved, open_, unknown, "not-an-id"]
    audits_before = await count_rows(owner_sessions, audit.AuditEntry, tenant_id)

    await problem_event(
        owner_sessions,
        tenant_id,
        "problem.workaround_published",
        title="Mail queue stuck",
        workaround="Restart the relay.",
        incidentIds=linked,
    )
    assert await runner.drain() == 1

    for id in (open_, held):
        assert await comments(incidents, id) == [
            {"body": NOTE, "visibility": "WORK_NOTE", "author": None}
        ]
    for id in (closed, resolved):
        assert await comments(incidents, id) == []
    assert (await incidents.ok(READ, id=held))["incident"]["status"] == "ON_HOLD"
    assert await outbox_kinds(owner_sessions, tenant_id, [open_, held]) == [
        "incident.created",
        "incident.created",
        "incident.status_changed",
        "incident.commented",
        "incident.commented",
    ]
    assert await count_rows(owner_sessions, audit.AuditEntry, tenant_id) == audits_before + 2
    async with owner_sessions() as session:
        operations = set(
            await session.scalars(
                select(audit.AuditEntry.request_id).where(
                    audit.AuditEntry.tenant_id == tenant_id,
                    audit.AuditEntry.operation == "incidents.problem-reactions",
                )
            )
        )
    assert len(operations) == 1 and operations.pop().startswith("event:")


async def test_an_event_handled_again_adds_no_second_note(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    runner: ConsumerRunner,
) -> None:
    linked = await incident(incidents, "Mail slow")
    await problem_event(
        owner_sessions,
        tenant_id,
        "problem.workaround_published",
        title="Mail queue stuck",
        workaround="Restart the relay.",
        incidentIds=[linked],
    )
    assert await runner.drain() == 1

    # Delivered again: a second runner of the same consumer is refused by the position ...
    again = ConsumerRunner(runner.consumer, owner_sessions, runner.app_sessions)
    assert await again.drain() == 0
    # ... and with the position rewound to before it (a replay), the handler finds its note.
    async with owner_sessions() as session, session.begin():
        seq = await session.scalar(
            select(events.OutboxEvent.seq).where(
                events.OutboxEvent.tenant_id == tenant_id, events.OutboxEvent.domain == "problems"
            )
        )
        await session.execute(
            update(events.ConsumerPosition)
            .where(events.ConsumerPosition.name == runner.name)
            .values(last_seq=seq - 1)
        )
    assert await runner.drain() == 1

    assert await comments(incidents, linked) == [
        {"body": NOTE, "visibility": "WORK_NOTE", "author": None}
    ]


async def test_newly_linked_incidents_get_the_published_workaround(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, runner: ConsumerRunner
) -> None:
    with_workaround, without = await incident(incidents, "A"), await incident(incidents, "B")
    common = {"title": "Mail queue stuck"}
    await problem_event(
        owner_sessions,
        tenant_id,
        "problem.incidents_linked",
        **common,
        workaround="Restart the relay.",
        incidentIds=[with_workaround],
    )
    await problem_event(
        owner_sessions,
        tenant_id,
        "problem.incidents_linked",
        **common,
        workaround=None,
        incidentIds=[without],
    )
    assert await runner.drain() == 2

    assert [c["body"] for c in await comments(incidents, with_workaround)] == [NOTE]
    assert await comments(incidents, without) == []


async def test_a_resolved_problem_releases_only_incidents_awaiting_it(
    incidents: Subgraph,
    identity: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    runner: ConsumerRunner,
) -> None:
    user = await identity.ok(
        'mutation { createUser(input: {name: "Pat", email: "pat@example.com"}) { id } }'
    )
    actor = user["createUser"]["id"]
    awaiting = await incident(incidents, "Waits for the fix", HOLD_FOR_PROBLEM)
    vendor = await incident(incidents, "Waits for the vendor", HOLD_FOR_VENDOR)
    working = await incident(incidents, "Worked on", {"status": "IN_PROGRESS"})
    done = await incident(incidents, "Done", RESOLVE)

    await problem_event(
        owner_sessions,
        tenant_id,
        "problem.resolved",
        title="Mail queue stuck",
        resolutionCode="FIX_APPLIED",
        incidentIds=[awaiting, vendor, working, done],
        actorId=actor,
        changes={"status": ["FIX_IN_PROGRESS", "RESOLVED"]},
    )
    assert await runner.drain() == 1

    note = {
        "body": "PRB-17 resolved (FIX_APPLIED): Mail queue stuck",
        "visibility": "WORK_NOTE",
        "author": {"id": actor},
    }
    expected = {
        awaiting: ("IN_PROGRESS", None, [note]),
        vendor: ("ON_HOLD", "AWAITING_VENDOR", [note]),
        working: ("IN_PROGRESS", None, [note]),
        done: ("RESOLVED", None, []),
    }
    for id, (status, reason, notes) in expected.items():
        read = (await incidents.ok(READ, id=id))["incident"]
        assert (read["status"], read["holdReason"], read["comments"]) == (status, reason, notes)
    assert await outbox_kinds(owner_sessions, tenant_id, [awaiting]) == [
        "incident.created",
        "incident.status_changed",
        "incident.status_changed",
        "incident.commented",
    ]


async def test_an_event_of_one_tenant_never_touches_another_tenants_incident(
    incidents: Subgraph,
    new_context: Any,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    runner: ConsumerRunner,
) -> None:
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"t-{uuid.uuid4().hex[:10]}", "Other")
    theirs = await incidents.ok(CREATE, new_context(other), t="Theirs")
    their_id = theirs["createIncident"]["id"]
    await incidents.ok(TRANSITION, new_context(other), id=their_id, input=HOLD_FOR_PROBLEM)

    for kind in ("problem.workaround_published", "problem.resolved"):
        await problem_event(
            owner_sessions,
            tenant_id,
            kind,
            title="Mail queue stuck",
            workaround="Restart the relay.",
            resolutionCode="FIX_APPLIED",
            incidentIds=[their_id],
        )
    assert await runner.drain() == 2

    read = await incidents.ok(READ, new_context(other), id=their_id)
    assert read["incident"] == {
        "status": "ON_HOLD",
        "holdReason": "AWAITING_PROBLEM",
        "comments": [],
    }
