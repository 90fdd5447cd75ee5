"""The incident lifecycle against real PostgreSQL: hold reasons and the caller's reply,
resolution and cancellation requirements, the reopen window (the database's clock, moved by
moving the resolution back), dryRun writing nothing, work notes per role, the settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import audit, events
from resolvers.context import Context
from resolvers.errors import BadUserInput
from subgraphs.incidents import lifecycle, tables
from subgraphs.incidents.enums import HoldReason, IncidentStatus, ResolutionCode
from tests.support import Subgraph, count_rows

Sessions = async_sessionmaker[AsyncSession]

INCIDENT = "id status holdReason resolutionCode resolutionNotes cancelReason reopenCount"
CREATE = f"""
mutation($input: CreateIncidentInput!) {{ createIncident(input: $input) {{ {INCIDENT} }} }}"""
TRANSITION = f"""
mutation($id: ID!, $input: TransitionIncidentInput!, $dryRun: Boolean! = false) {{
  transitionIncident(id: $id, input: $input, dryRun: $dryRun) {{
    dryRun fromStatus toStatus
    changes {{ field oldValue newValue }}
    events {{ kind changeKind changes {{ field oldValue newValue }} }}
    incident {{ {INCIDENT} comments {{ body visibility }} }}
  }}
}}"""
COMMENT = """mutation($id: ID!, $input: AddCommentInput!) {
  addComment(incidentId: $id, input: $input) { id } }"""
READ = f"""query($id: ID!) {{ incident(id: $id) {{ {INCIDENT}
  history {{ kind changes {{ field oldValue newValue }} }} }} }}"""
SETTINGS = """mutation($days: Int!) {
  updateIncidentSettings(input: {reopenWindowDays: $days}) { reopenWindowDays } }"""
RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Replaced the disk."}


@pytest.fixture
async def reporter(incidents: Subgraph, identity: Subgraph) -> str:
    made = await identity.ok(
        'mutation { createUser(input: {name: "Cal", email: "cal@example.com"}) { id } }'
    )
    return str(made["createUser"]["id"])


@pytest.fixture
async def incident(incidents: Subgraph, reporter: str) -> dict[str, Any]:
    data = await incidents.ok(CREATE, input={"title": "Mail down", "reporterId": reporter})
    return data["createIncident"]  # type: ignore[no-any-return]


async def move(incidents: Subgraph, id: str, **input: Any) -> dict[str, Any]:
    data = await incidents.ok(TRANSITION, id=id, input=input)
    return data["transitionIncident"]  # type: ignore[no-any-return]


async def read(incidents: Subgraph, id: str) -> dict[str, Any]:
    return (await incidents.ok(READ, id=id))["incident"]  # type: ignore[no-any-return]


async def written(owner_sessions: Sessions, tenant_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each kind the tenant has: what a refused or dry change must not move."""
    return {
        table.__tablename__: await count_rows(owner_sessions, table, tenant_id)
        for table in (
            tables.IncidentChange,
            tables.IncidentComment,
            events.OutboxEvent,
            audit.AuditEntry,
        )
    }


async def refused(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    incident: dict[str, Any],
    input: dict[str, Any],
) -> dict[str, Any]:
    """The one error of a refused transition, after checking that it changed nothing."""
    before = await written(owner_sessions, tenant_id)
    state = await read(incidents, incident["id"])
    result = await incidents.run(TRANSITION, id=incident["id"], input=input)
    assert result["data"] is None
    [error] = result["errors"]
    assert await written(owner_sessions, tenant_id) == before
    assert await read(incidents, incident["id"]) == state
    return error  # type: ignore[no-any-return]


# --- the rules as data (no database) ---


@pytest.mark.parametrize(
    "target,needed",
    [
        (IncidentStatus.ON_HOLD, ["holdReason"]),
        (IncidentStatus.RESOLVED, ["resolutionCode", "resolutionNotes"]),
        (IncidentStatus.CANCELLED, ["cancelReason"]),
    ],
)
def test_each_status_names_the_field_it_needs(target: IncidentStatus, needed: list[str]) -> None:
    assert list(lifecycle.REQUIRED[target]) == needed
    full = lifecycle.TransitionRequest(
        target,
        hold_reason=HoldReason.AWAITING_VENDOR,
        resolution_code=ResolutionCode.FIXED,
        resolution_notes="notes",
        cancel_reason="reason",
    )
    given = {
        "holdReason": {"hold_reason": HoldReason.AWAITING_VENDOR},
        "resolutionCode": {"resolution_code": ResolutionCode.FIXED},
        "resolutionNotes": {"resolution_notes": "notes"},
        "cancelReason": {"cancel_reason": "reason"},
    }
    for missing in needed:
        fields = {k: v for name in needed if name != missing for k, v in given[name].items()}
        with pytest.raises(BadUserInput) as refused:
            lifecycle.settle(IncidentStatus.OPEN, lifecycle.TransitionRequest(target, **fields))
        assert refused.value.extensions == {"code": "BAD_USER_INPUT", "field": missing}
    with pytest.raises(BadUserInput):  # every status's fields at once: some are misplaced
        lifecycle.settle(IncidentStatus.OPEN, full)


def test_leaving_on_hold_clears_the_reason_and_a_reopen_the_resolution() -> None:
    S = IncidentStatus
    for target in (S.IN_PROGRESS, S.RESOLVED, S.CANCELLED):
        assert lifecycle.CLEARED[S.ON_HOLD, target] == ("hold_reason",)
    assert lifecycle.CLEARED[S.RESOLVED, S.IN_PROGRESS] == ("resolution_code", "resolution_notes")
    assert (S.RESOLVED, S.CLOSED) not in lifecycle.CLEARED


# --- hold reasons ---


async def test_on_hold_needs_a_reason_and_nothing_changes_without_it(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    error = await refused(incidents, owner_sessions, tenant_id, incident, {"status": "ON_HOLD"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "holdReason"}
    assert error["message"] == "holdReason is required to move to ON_HOLD"


async def test_awaiting_caller_needs_a_public_comment(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    hold = {"status": "ON_HOLD", "holdReason": "AWAITING_CALLER"}
    for comment in (None, {"body": "Asked the caller", "visibility": "WORK_NOTE"}):
        error = await refused(
            incidents, owner_sessions, tenant_id, incident, {**hold, "comment": comment}
        )
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "comment"}

    held = await move(incidents, incident["id"], **hold, comment={"body": "Which printer?"})

    assert held["incident"]["status"] == "ON_HOLD"
    assert held["incident"]["holdReason"] == "AWAITING_CALLER"
    assert held["incident"]["comments"] == [{"body": "Which printer?", "visibility": "PUBLIC"}]
    assert [e["kind"] for e in held["events"]] == ["incident.status_changed", "incident.commented"]
    assert held["changes"] == [
        {"field": "status", "oldValue": "OPEN", "newValue": "ON_HOLD"},
        {"field": "holdReason", "oldValue": None, "newValue": "AWAITING_CALLER"},
    ]


async def test_the_callers_public_reply_returns_the_incident_to_in_progress(
    incidents: Subgraph, identity: Subgraph, incident: dict[str, Any], reporter: str
) -> None:
    await move(
        incidents,
        incident["id"],
        status="ON_HOLD",
        holdReason="AWAITING_CALLER",
        comment={"body": "Which printer?"},
    )
    someone = await identity.ok(
        'mutation { createUser(input: {name: "Op", email: "op@example.com"}) { id } }'
    )
    # Neither another user's comment nor the reporter's work note is the caller's reply.
    for author, visibility in ((someone["createUser"]["id"], "PUBLIC"), (reporter, "WORK_NOTE")):
        reply = {"body": "x", "visibility": visibility, "authorId": author}
        await incidents.ok(COMMENT, id=incident["id"], input=reply)
        assert (await read(incidents, incident["id"]))["holdReason"] == "AWAITING_CALLER"

    reply = {"body": "Floor 3", "visibility": "PUBLIC", "authorId": reporter}
    await incidents.ok(COMMENT, id=incident["id"], input=reply)

    after = await read(incidents, incident["id"])
    assert (after["status"], after["holdReason"]) == ("IN_PROGRESS", None)
    # One transaction: both entries have its time (their order within it is the ids').
    last_two = {h["kind"]: h["changes"] for h in after["history"][-2:]}
    assert set(last_two) == {"COMMENTED", "STATUS_CHANGED"}
    assert last_two["STATUS_CHANGED"] == [
        {"field": "status", "oldValue": "ON_HOLD", "newValue": "IN_PROGRESS"},
        {"field": "holdReason", "oldValue": "AWAITING_CALLER", "newValue": None},
    ]


async def test_leaving_on_hold_clears_the_reason(
    incidents: Subgraph, incident: dict[str, Any]
) -> None:
    await move(incidents, incident["id"], status="ON_HOLD", holdReason="AWAITING_PROBLEM")
    held = "query($r: [HoldReason!]) { incidents(filter: {holdReason: $r}) { totalCount } }"
    for reasons, count in ((["AWAITING_PROBLEM"], 1), (["AWAITING_VENDOR"], 0)):
        listed = await incidents.ok(held, r=reasons)
        assert listed["incidents"]["totalCount"] == count
    resumed = await move(incidents, incident["id"], status="IN_PROGRESS")
    assert resumed["incident"]["holdReason"] is None
    assert {"field": "holdReason", "oldValue": "AWAITING_PROBLEM", "newValue": None} in resumed[
        "changes"
    ]


async def test_moving_to_the_status_it_has_is_a_conflict(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    error = await refused(incidents, owner_sessions, tenant_id, incident, {"status": "OPEN"})
    assert error["extensions"] == {"code": "CONFLICT", "field": "status"}


# --- resolution and cancellation ---


@pytest.mark.parametrize(
    "input,field,message",
    [
        ({"status": "RESOLVED", "resolutionNotes": "n"}, "resolutionCode",
         "resolutionCode is required to move to RESOLVED"),
        ({"status": "RESOLVED", "resolutionCode": "FIXED"}, "resolutionNotes",
         "resolutionNotes is required to move to RESOLVED"),
        ({"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "  "},
         "resolutionNotes", "resolutionNotes must not be empty"),
        ({"status": "CANCELLED"}, "cancelReason", "cancelReason is required to move to CANCELLED"),
        ({"status": "CANCELLED", "cancelReason": "x" * 2001}, "cancelReason",
         "cancelReason must be at most 2000 characters"),
        ({**RESOLVE, "holdReason": "AWAITING_VENDOR"}, "holdReason",
         "holdReason applies only to a move to ON_HOLD"),
        ({"status": "IN_PROGRESS", "cancelReason": "no"}, "cancelReason",
         "cancelReason applies only to a move to CANCELLED"),
    ],
)  # fmt: skip
async def test_missing_or_misplaced_fields_name_the_field_and_change_nothing(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    incident: dict[str, Any],
    input: dict[str, Any],
    field: str,
    message: str,
) -> None:
    error = await refused(incidents, owner_sessions, tenant_id, incident, input)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"] == message


async def test_resolved_and_cancelled_keep_their_code_notes_and_reason(
    incidents: Subgraph, incident: dict[str, Any]
) -> None:
    resolved = await move(incidents, incident["id"], **RESOLVE)
    assert resolved["incident"]["resolutionCode"] == "FIXED"
    assert resolved["incident"]["resolutionNotes"] == "Replaced the disk."
    closed = await move(incidents, incident["id"], status="CLOSED")
    assert closed["incident"]["resolutionCode"] == "FIXED"  # closing keeps the resolution

    other = await incidents.ok(CREATE, input={"title": "Twice"})
    cancelled = await move(
        incidents, other["createIncident"]["id"], status="CANCELLED", cancelReason=" Duplicate "
    )
    assert cancelled["incident"]["cancelReason"] == "Duplicate"


# --- reopening ---


async def resolved_days_ago(
    owner_sessions: Sessions, tenant_id: uuid.UUID, id: str, days: float
) -> None:
    """Move the resolution back in time: the window is measured by the database's clock."""
    row = tables.Incident
    async with owner_sessions() as session, session.begin():
        await session.execute(
            update(row)
            .where(row.tenant_id == tenant_id, row.id == uuid.UUID(id))
            .values(resolved_at=row.resolved_at - timedelta(days=days))
        )


async def test_reopen_within_the_window_counts_and_forgets_the_resolution(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    await move(incidents, incident["id"], **RESOLVE)
    await resolved_days_ago(owner_sessions, tenant_id, incident["id"], 6.9)
    reopened = await move(incidents, incident["id"], status="IN_PROGRESS")
    assert reopened["incident"]["reopenCount"] == 1
    assert reopened["incident"]["resolutionCode"] is None
    assert {"field": "reopenCount", "oldValue": "0", "newValue": "1"} in reopened["changes"]
    await move(incidents, incident["id"], **RESOLVE)
    again = await move(incidents, incident["id"], status="IN_PROGRESS")
    assert again["incident"]["reopenCount"] == 2


async def test_reopen_outside_the_window_is_a_conflict_until_the_window_grows(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    await move(incidents, incident["id"], **RESOLVE)
    await resolved_days_ago(owner_sessions, tenant_id, incident["id"], 7.1)

    error = await refused(incidents, owner_sessions, tenant_id, incident, {"status": "IN_PROGRESS"})
    assert error["extensions"] == {"code": "CONFLICT", "field": "status", "reopenWindowDays": 7}

    await incidents.ok(SETTINGS, days=8)
    reopened = await move(incidents, incident["id"], status="IN_PROGRESS")
    assert reopened["incident"]["reopenCount"] == 1


async def test_a_zero_day_window_forbids_reopening(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    await incidents.ok(SETTINGS, days=0)
    await move(incidents, incident["id"], **RESOLVE)
    error = await refused(incidents, owner_sessions, tenant_id, incident, {"status": "IN_PROGRESS"})
    assert error["extensions"]["code"] == "CONFLICT"


async def test_settings_default_change_and_refuse_out_of_range(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    query = "{ incidentSettings { reopenWindowDays } }"
    assert await incidents.ok(query) == {"incidentSettings": {"reopenWindowDays": 7}}
    audited = await count_rows(owner_sessions, audit.AuditEntry, tenant_id)
    for days in (-1, 366):
        result = await incidents.run(SETTINGS, days=days)
        assert result["errors"][0]["extensions"] == {
            "code": "BAD_USER_INPUT",
            "field": "reopenWindowDays",
        }
    assert await count_rows(owner_sessions, audit.AuditEntry, tenant_id) == audited

    await incidents.ok(SETTINGS, days=14)

    assert await incidents.ok(query) == {"incidentSettings": {"reopenWindowDays": 14}}
    async with owner_sessions() as session:
        entry = (
            await session.execute(
                select(audit.AuditEntry.operation, audit.AuditEntry.before, audit.AuditEntry.after)
                .where(audit.AuditEntry.tenant_id == tenant_id)
                .order_by(audit.AuditEntry.recorded_at.desc())
                .limit(1)
            )
        ).one()
    assert tuple(entry) == (
        "updateIncidentSettings",
        {"reopenWindowDays": 7},
        {"reopenWindowDays": 14},
    )
    async with owner_sessions() as session:
        event = await session.scalar(
            select(events.OutboxEvent.payload).where(
                events.OutboxEvent.tenant_id == tenant_id,
                events.OutboxEvent.kind == "incident.settings_updated",
            )
        )
    assert event is not None and event["changes"] == {"reopenWindowDays": [7, 14]}


# --- dryRun ---


async def test_dry_run_answers_what_would_change_and_writes_nothing(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    before = await written(owner_sessions, tenant_id)
    state = await read(incidents, incident["id"])
    input = {
        "status": "ON_HOLD",
        "holdReason": "AWAITING_CALLER",
        "comment": {"body": "Which floor?"},
    }

    data = await incidents.ok(TRANSITION, id=incident["id"], input=input, dryRun=True)

    preview = data["transitionIncident"]
    assert (preview["dryRun"], preview["fromStatus"], preview["toStatus"]) == (
        True,
        "OPEN",
        "ON_HOLD",
    )
    assert preview["incident"]["status"] == "ON_HOLD"
    assert preview["incident"]["holdReason"] == "AWAITING_CALLER"
    assert [(e["kind"], e["changeKind"]) for e in preview["events"]] == [
        ("incident.status_changed", "STATUS_CHANGED"),
        ("incident.commented", "COMMENTED"),
    ]
    assert await written(owner_sessions, tenant_id) == before
    assert await read(incidents, incident["id"]) == state

    done = await move(incidents, incident["id"], **input)
    assert done["dryRun"] is False
    assert done["changes"] == preview["changes"]
    assert [e["kind"] for e in done["events"]] == [e["kind"] for e in preview["events"]]


async def test_dry_run_of_an_illegal_move_is_refused_like_the_move(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, incident: dict[str, Any]
) -> None:
    before = await written(owner_sessions, tenant_id)
    result = await incidents.run(
        TRANSITION, id=incident["id"], input={"status": "CLOSED"}, dryRun=True
    )
    assert result["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await written(owner_sessions, tenant_id) == before


# --- work notes ---


async def test_work_notes_are_hidden_from_callers_without_worknotes_view(
    incidents: Subgraph, incident: dict[str, Any], as_roles: Callable[[str], Context]
) -> None:
    for body, visibility in (("internal", "WORK_NOTE"), ("hello", "PUBLIC"), ("n2", "WORK_NOTE")):
        await incidents.ok(
            COMMENT, id=incident["id"], input={"body": body, "visibility": visibility}
        )
    query = """query($id: ID!) { incident(id: $id) { comments { body }
      newest: comments(last: 1) { body } oldest: comments(first: 1) { body } } }"""
    page = """{ incidents { edges { node { comments { body } } } } }"""

    operator = await incidents.ok(query, as_roles("operator"), id=incident["id"])
    viewer = await incidents.ok(query, as_roles("viewer"), id=incident["id"])

    assert operator["incident"] == {
        "comments": [{"body": "internal"}, {"body": "hello"}, {"body": "n2"}],
        "newest": [{"body": "n2"}],
        "oldest": [{"body": "internal"}],
    }
    assert viewer["incident"] == {
        "comments": [{"body": "hello"}],
        "newest": [{"body": "hello"}],
        "oldest": [{"body": "hello"}],
    }
    listed = await incidents.ok(page, as_roles("viewer"))
    assert listed["incidents"]["edges"] == [{"node": {"comments": [{"body": "hello"}]}}]


# --- events ---


async def test_created_event_carries_category_and_ci(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    await incidents.ok(CREATE, input={"title": "Slow", "category": "network"})
    async with owner_sessions() as session:
        payload = await session.scalar(
            select(events.OutboxEvent.payload).where(
                events.OutboxEvent.tenant_id == tenant_id,
                events.OutboxEvent.kind == "incident.created",
            )
        )
    assert payload["changes"] == {
        "status": [None, "OPEN"],
        "title": [None, "Slow"],
        "category": [None, "network"],
    }
