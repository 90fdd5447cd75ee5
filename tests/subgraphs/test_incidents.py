"""The incidents subgraph against real PostgreSQL: create, update, transitions, assignment,
comments, history, numbering, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from db.tables import events
from subgraphs.incidents import tables as tables
from tests.support import Subgraph, count_rows

CREATE = """
mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) {
    id number title status priority priorityOverridden impact urgency source
    reporter { id } openedAt acknowledgedAt resolvedAt closedAt
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) {
    id title status priority priorityOverridden acknowledgedAt resolvedAt closedAt
    team { id }
  }
}"""
TRANSITION = """
mutation($id: ID!, $input: TransitionIncidentInput!) {
  transitionIncident(id: $id, input: $input) {
    incident { id status acknowledgedAt resolvedAt closedAt }
  }
}"""
RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Cleaned up."}
HISTORY = """
query($id: ID!) {
  incident(id: $id) { history { kind changes { field oldValue newValue } } }
}"""


@pytest.fixture
async def user_id(identity: Subgraph) -> str:
    """A user of the test's tenant: the ids an incident stores must name one."""
    made = await identity.ok(
        'mutation { createUser(input: {name: "Ann", email: "ann@example.com"}) { id } }'
    )
    return str(made["createUser"]["id"])


async def create(incidents: Subgraph, **fields: Any) -> dict[str, Any]:
    data = await incidents.ok(CREATE, input={"title": "Disk full", **fields})
    return data["createIncident"]  # type: ignore[no-any-return]


async def test_create_numbers_and_derives_priority(incidents: Subgraph, user_id: str) -> None:
    first = await create(incidents, impact="HIGH", urgency="HIGH", reporterId=user_id)
    second = await create(incidents, impact="LOW", urgency="MEDIUM")
    assert first["number"] == "INC-1" and second["number"] == "INC-2"
    assert first["status"] == "OPEN" and first["source"] == "MANUAL"
    assert (first["priority"], first["priorityOverridden"]) == ("CRITICAL", False)
    assert second["priority"] == "LOW"
    assert first["reporter"] == {"id": user_id}


async def test_opened_at_is_the_given_time_or_the_creation_time(incidents: Subgraph) -> None:
    dated = await create(incidents, openedAt="2024-05-01T12:00:00+02:00")
    assert dated["openedAt"] == "2024-05-01T10:00:00+00:00"
    now = await incidents.ok(
        'mutation { createIncident(input: {title: "Now"}) { openedAt createdAt } }'
    )
    assert now["createIncident"]["openedAt"] == now["createIncident"]["createdAt"]


async def test_explicit_priority_wins_until_cleared(incidents: Subgraph) -> None:
    incident = await create(incidents, impact="LOW", urgency="LOW", priority="HIGH")
    assert (incident["priority"], incident["priorityOverridden"]) == ("HIGH", True)
    kept = await incidents.ok(UPDATE, id=incident["id"], input={"urgency": "HIGH"})
    assert kept["updateIncident"]["priority"] == "HIGH"
    derived = await incidents.ok(UPDATE, id=incident["id"], input={"priority": None})
    assert derived["updateIncident"]["priority"] == "MEDIUM"  # LOW impact × HIGH urgency
    assert derived["updateIncident"]["priorityOverridden"] is False


async def move(incidents: Subgraph, id: str, **input: Any) -> dict[str, Any]:
    """transitionIncident's incident, which must succeed."""
    data = await incidents.ok(TRANSITION, id=id, input=input)
    return data["transitionIncident"]["incident"]  # type: ignore[no-any-return]


async def test_lifecycle_sets_timestamps_and_reopens(incidents: Subgraph) -> None:
    incident = await create(incidents)
    working = await move(incidents, incident["id"], status="IN_PROGRESS")
    assert working["acknowledgedAt"] is not None
    resolved = await move(incidents, incident["id"], **RESOLVE)
    assert resolved["resolvedAt"] is not None
    reopened = await move(incidents, incident["id"], status="IN_PROGRESS")
    assert reopened["resolvedAt"] is None
    assert reopened["acknowledgedAt"] == working["acknowledgedAt"]
    await move(incidents, incident["id"], **RESOLVE)
    closed = await move(incidents, incident["id"], status="CLOSED")
    assert closed["status"] == "CLOSED" and closed["closedAt"] is not None
    history = await incidents.ok(HISTORY, id=incident["id"])
    kinds = [h["kind"] for h in history["incident"]["history"]]
    assert kinds == ["CREATED"] + ["STATUS_CHANGED"] * 5


async def test_illegal_transition_is_a_conflict_and_changes_nothing(
    incidents: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    incident = await create(incidents)
    outbox_before = await count_rows(owner_sessions, events.OutboxEvent, tenant_id)
    result = await incidents.run(TRANSITION, id=incident["id"], input={"status": "CLOSED"})
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["message"] == "An incident cannot go from OPEN to CLOSED"
    after = await incidents.ok(
        "query($id: ID!) { incident(id: $id) { title status } }", id=incident["id"]
    )
    assert after["incident"] == {"title": "Disk full", "status": "OPEN"}
    assert await count_rows(owner_sessions, events.OutboxEvent, tenant_id) == outbox_before


async def test_nothing_changes_once_closed_or_cancelled(incidents: Subgraph, user_id: str) -> None:
    incident = await create(incidents)
    await move(incidents, incident["id"], status="CANCELLED", cancelReason="Raised twice")
    result = await incidents.run(UPDATE, id=incident["id"], input={"title": "New"})
    assert result["errors"][0]["extensions"]["code"] == "CONFLICT"
    for status in ("OPEN", "IN_PROGRESS"):
        result = await incidents.run(TRANSITION, id=incident["id"], input={"status": status})
        assert result["errors"][0]["extensions"]["code"] == "CONFLICT", status
    assigned = await incidents.run(
        "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }",
        id=incident["id"],
        u=user_id,
    )
    assert assigned["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_assign_and_comment_are_recorded(incidents: Subgraph, user_id: str) -> None:
    incident = await create(incidents)
    assigned = await incidents.ok(
        "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { assignee { id } } }",
        id=incident["id"],
        u=user_id,
    )
    assert assigned["assignIncident"]["assignee"] == {"id": user_id}
    comment = await incidents.ok(
        """mutation($id: ID!, $u: ID!) { addComment(incidentId: $id, input: {body: " Rebooted ",
        visibility: PUBLIC, authorId: $u}) { body visibility author { id } } }""",
        id=incident["id"],
        u=user_id,
    )
    assert comment["addComment"] == {
        "body": "Rebooted",
        "visibility": "PUBLIC",
        "author": {"id": user_id},
    }
    history = (await incidents.ok(HISTORY, id=incident["id"]))["incident"]["history"]
    assert [h["kind"] for h in history] == ["CREATED", "ASSIGNED", "COMMENTED"]
    assert history[1]["changes"] == [{"field": "assigneeId", "oldValue": None, "newValue": user_id}]


async def test_every_change_writes_one_outbox_event(
    incidents: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    incident = await create(incidents)
    await move(incidents, incident["id"], status="IN_PROGRESS")
    async with owner_sessions() as session:
        kinds = (
            await session.scalars(
                select(events.OutboxEvent.kind)
                .where(events.OutboxEvent.tenant_id == tenant_id)
                .order_by(events.OutboxEvent.id)
            )
        ).all()
    assert kinds == ["incident.created", "incident.status_changed"]


@pytest.mark.parametrize(
    "fields,code,message",
    [
        ({"title": ""}, "BAD_USER_INPUT", "title must not be empty"),
        ({"title": "   "}, "BAD_USER_INPUT", "title must not be empty"),
        ({"title": "x" * 201}, "BAD_USER_INPUT", "title must be at most 200 characters"),
        ({"assigneeId": "nope"}, "BAD_USER_INPUT", "input.assigneeId 'nope' is not a valid id"),
        ({"category": "c" * 101}, "BAD_USER_INPUT", "category must be at most 100 characters"),
    ],
)
async def test_bad_create_input_writes_nothing(
    incidents: Subgraph,
    owner_sessions: Any,
    tenant_id: Any,
    fields: dict[str, Any],
    code: str,
    message: str,
) -> None:
    result = await incidents.run(CREATE, input={"title": "ok", **fields})
    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [(code, message)]
    assert await count_rows(owner_sessions, tables.Incident, tenant_id) == 0
    assert await count_rows(owner_sessions, events.OutboxEvent, tenant_id) == 0


async def test_duplicate_external_id_is_a_conflict(incidents: Subgraph) -> None:
    await create(incidents, source="MONITORING", externalId="alert-1")
    result = await incidents.run(
        CREATE, input={"title": "again", "source": "MONITORING", "externalId": "alert-1"}
    )
    assert result["errors"][0]["extensions"]["code"] == "CONFLICT"
    # The failed create gave its number back: the next one follows without a gap.
    assert (await create(incidents))["number"] == "INC-2"


async def test_unknown_and_malformed_ids(incidents: Subgraph) -> None:
    missing = await incidents.run(
        UPDATE, id="00000000-0000-4000-8000-000000000000", input={"title": "x"}
    )
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    malformed = await incidents.run(UPDATE, id="42", input={"title": "x"})
    assert malformed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    lookup = await incidents.ok(
        '{ incident(id: "42") { id } incidentByNumber(number: "INC-99") { id } }'
    )
    assert lookup == {"incident": None, "incidentByNumber": None}


async def test_numbers_are_gapless_under_concurrency(incidents: Subgraph) -> None:
    async def one(i: int) -> dict[str, Any]:
        # Every third create fails after taking a number (duplicate externalId) and rolls back.
        external = "dup" if i % 3 == 0 else f"e{i}"
        return await incidents.run(CREATE, input={"title": f"n{i}", "externalId": external})

    results = await asyncio.gather(*(one(i) for i in range(24)))
    numbers = sorted(
        int(r["data"]["createIncident"]["number"].removeprefix("INC-"))
        for r in results
        if not r["errors"]
    )
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 24 - 8 + 1  # one of the "dup" creates succeeds


async def test_incident_by_number(incidents: Subgraph) -> None:
    incident = await create(incidents)
    data = await incidents.ok(
        '{ a: incidentByNumber(number: "INC-1") { id } b: incidentByNumber(number: "1") { id } }'
    )
    assert data == {"a": {"id": incident["id"]}, "b": {"id": incident["id"]}}


async def test_tenants_do_not_see_each_other(
    incidents: Subgraph, new_context: Any, owner_sessions: Any
) -> None:
    from db.tenants import create_tenant

    incident = await create(incidents)
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"other-{incident['id'][:8]}", "Other")
    other_context = new_context(other)
    query = "query($id: ID!) { incident(id: $id) { id } incidents { totalCount } }"
    data = await incidents.ok(query, other_context, id=incident["id"])
    assert data == {"incident": None, "incidents": {"totalCount": 0}}
    result = await incidents.run(
        UPDATE, new_context(other), id=incident["id"], input={"title": "stolen"}
    )
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
