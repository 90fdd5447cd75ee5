"""An incident's family against real PostgreSQL: parent/child links and their shape (no
ancestor cycles, one level), the cascade of a parent's moves to its open children row by row
(ServiceNow's rules) with history and events, dryRun listing the children and writing
nothing, closing with open children and `force`; major incidents; duplicates merged;
watchers; and the family's fields read in a constant number of statements per page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import audit, events
from resolvers.context import Context
from subgraphs.incidents import tables
from subgraphs.incidents.family import rules as family_rules
from subgraphs.incidents.family.tables import IncidentWatcher
from tests.support import Subgraph, count_rows

Sessions = async_sessionmaker[AsyncSession]

FIELDS = "id number status holdReason resolutionCode resolutionNotes cancelReason"
CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id number } }"
TRANSITION = f"""
mutation($id: ID!, $input: TransitionIncidentInput!, $dryRun: Boolean! = false) {{
  transitionIncident(id: $id, input: $input, dryRun: $dryRun) {{
    dryRun toStatus
    cascaded {{ fromStatus toStatus changes {{ field oldValue newValue }}
      events {{ kind }} incident {{ {FIELDS} }} }}
  }}
}}"""
SET_PARENT = """mutation($id: ID!, $parent: ID) {
  setIncidentParent(id: $id, parentId: $parent) { id parentId parent { id } } }"""
READ = f"""query($id: ID!) {{ incident(id: $id) {{ {FIELDS} major majorState majorReason
  parent {{ id }} children {{ id }} duplicateOf {{ id }} duplicates {{ id }} watchers {{ id }}
  comments {{ body visibility }} history {{ kind changes {{ field oldValue newValue }} }} }} }}"""
RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Swapped the PSU."}


async def new(incidents: Subgraph, title: str = "x") -> str:
    return str((await incidents.ok(CREATE, t=title))["createIncident"]["id"])


async def move(incidents: Subgraph, id: str, **input: Any) -> dict[str, Any]:
    return (await incidents.ok(TRANSITION, id=id, input=input))["transitionIncident"]  # type: ignore[no-any-return]


async def read(incidents: Subgraph, id: str) -> dict[str, Any]:
    return (await incidents.ok(READ, id=id))["incident"]  # type: ignore[no-any-return]


async def error_of(incidents: Subgraph, query: str, **variables: Any) -> dict[str, Any]:
    result = await incidents.run(query, **variables)
    assert result["data"] is None, result
    [error] = result["errors"]
    return error  # type: ignore[no-any-return]


async def written(owner_sessions: Sessions, tenant_id: uuid.UUID) -> dict[str, int]:
    return {
        table.__tablename__: await count_rows(owner_sessions, table, tenant_id)
        for table in (
            tables.Incident,
            tables.IncidentChange,
            tables.IncidentComment,
            IncidentWatcher,
            events.OutboxEvent,
            audit.AuditEntry,
        )
    }


async def events_of(owner_sessions: Sessions, tenant_id: uuid.UUID, id: str) -> list[str]:
    async with owner_sessions() as session:
        kinds = await session.scalars(
            select(events.OutboxEvent.kind)
            .where(
                events.OutboxEvent.tenant_id == tenant_id,
                events.OutboxEvent.entity_id == uuid.UUID(id),
            )
            # In the order written: `seq` is stamped later, by whichever process gets to it.
            .order_by(events.OutboxEvent.id)
        )
        return list(kinds)


# --- the cascade, row by row ---

HOLD = {"status": "ON_HOLD"}
# The parent's move → (OPEN child, IN_PROGRESS child, child ON_HOLD for a vendor) after it, as
# (status, hold reason). A RESOLVED child is never moved (it is not open).
CASCADE: dict[str, tuple[dict[str, Any], list[tuple[str, str | None]]]] = {
    "in progress": ({"status": "IN_PROGRESS"},
                    [("IN_PROGRESS", None), ("IN_PROGRESS", None), ("IN_PROGRESS", None)]),
    "hold for a change": ({**HOLD, "holdReason": "AWAITING_CHANGE"},
                          [("ON_HOLD", "AWAITING_CHANGE")] * 3),
    "hold for a problem": ({**HOLD, "holdReason": "AWAITING_PROBLEM"},
                           [("ON_HOLD", "AWAITING_PROBLEM")] * 3),
    "hold for a vendor": ({**HOLD, "holdReason": "AWAITING_VENDOR"},
                          [("ON_HOLD", "AWAITING_VENDOR")] * 3),
    "hold for the caller": ({**HOLD, "holdReason": "AWAITING_CALLER", "comment": {"body": "?"}},
                            [("OPEN", None), ("IN_PROGRESS", None),
                             ("ON_HOLD", "AWAITING_VENDOR")]),
    "resolved": (RESOLVE, [("RESOLVED", None)] * 3),
    "cancelled": ({"status": "CANCELLED", "cancelReason": "Raised in error"},
                  [("OPEN", None), ("IN_PROGRESS", None), ("ON_HOLD", "AWAITING_VENDOR")]),
}  # fmt: skip


async def family(incidents: Subgraph) -> tuple[str, list[str], str]:
    """A parent (OPEN) with an OPEN, an IN_PROGRESS and an ON_HOLD (vendor) child, and a
    RESOLVED one."""
    parent = await new(incidents, "Parent")
    children = [await new(incidents, f"Child {n}") for n in range(3)]
    done = await new(incidents, "Done child")
    await move(incidents, children[1], status="IN_PROGRESS")
    await move(incidents, children[2], status="ON_HOLD", holdReason="AWAITING_VENDOR")
    await move(incidents, done, **RESOLVE)
    for child in (*children, done):
        await incidents.ok(SET_PARENT, id=child, parent=parent)
    return parent, children, done


@pytest.mark.parametrize("case", list(CASCADE))
async def test_the_cascade_table(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, case: str
) -> None:
    input, expected = CASCADE[case]
    parent, children, done = await family(incidents)
    before = [await read(incidents, child) for child in children]
    history_before = await count_rows(owner_sessions, tables.IncidentChange, tenant_id)

    answer = await move(incidents, parent, **input)

    after = [await read(incidents, child) for child in children]
    assert [(child["status"], child["holdReason"]) for child in after] == expected
    moved = [b["id"] for b, a in zip(before, after, strict=True) if b["status"] != a["status"]
             or b["holdReason"] != a["holdReason"]]  # fmt: skip
    assert [c["incident"]["id"] for c in answer["cascaded"]] == sorted(moved)
    # Each cascaded move: its own history entry and event, as a direct transition writes.
    for child in answer["cascaded"]:
        child_id = child["incident"]["id"]
        # One transaction: its entries share a time (their order within it is the ids').
        extra = 2 if input["status"] == "RESOLVED" else 1  # the resolution's work note
        history = (await read(incidents, child_id))["history"]
        assert "STATUS_CHANGED" in {h["kind"] for h in history[-extra:]}
        kinds = await events_of(owner_sessions, tenant_id, child_id)
        assert "incident.status_changed" in kinds[-extra:]
        assert child["events"][0]["kind"] == "incident.status_changed"
    extra = 2 if input["status"] == "RESOLVED" else 1
    written_history = await count_rows(owner_sessions, tables.IncidentChange, tenant_id)
    own = 2 if "comment" in input else 1
    assert written_history - history_before == own + extra * len(moved)
    if input["status"] == "RESOLVED":
        for child in after:
            assert (child["resolutionCode"], child["resolutionNotes"]) == (
                "FIXED",
                "Swapped the PSU.",
            )
            assert child["comments"][-1] == {"body": "Swapped the PSU.", "visibility": "WORK_NOTE"}
    assert (await read(incidents, done))["status"] == "RESOLVED"


async def test_a_major_parent_does_not_push_its_children(
    incidents: Subgraph, as_roles: Callable[..., Context]
) -> None:
    parent, children, _ = await family(incidents)
    await incidents.ok(
        'mutation($id: ID!) { proposeMajorIncident(id: $id, reason: "Site down") { id } }',
        id=parent,
    )
    await incidents.ok("mutation($id: ID!) { acceptMajorIncident(id: $id) { major } }", id=parent)

    answer = await move(incidents, parent, **RESOLVE)

    assert answer["cascaded"] == []
    states = [(await read(incidents, child))["status"] for child in children]
    assert states == ["OPEN", "IN_PROGRESS", "ON_HOLD"]


async def test_dry_run_lists_the_children_and_writes_nothing(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    parent, children, _ = await family(incidents)
    before = await written(owner_sessions, tenant_id)
    state = [await read(incidents, id) for id in (parent, *children)]

    data = await incidents.ok(TRANSITION, id=parent, input=RESOLVE, dryRun=True)

    preview = data["transitionIncident"]
    assert preview["dryRun"] is True
    assert [c["incident"]["id"] for c in preview["cascaded"]] == sorted(children)
    assert {c["toStatus"] for c in preview["cascaded"]} == {"RESOLVED"}
    assert [e["kind"] for e in preview["cascaded"][0]["events"]] == [
        "incident.status_changed",
        "incident.commented",
    ]
    assert await written(owner_sessions, tenant_id) == before
    assert [await read(incidents, id) for id in (parent, *children)] == state


async def test_closing_a_parent_with_open_children_needs_force(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    parent, children, _ = await family(incidents)
    await move(incidents, parent, **RESOLVE)
    await move(incidents, children[0], status="IN_PROGRESS")  # reopened: open again
    before = await written(owner_sessions, tenant_id)

    error = await error_of(incidents, TRANSITION, id=parent, input={"status": "CLOSED"})

    assert error["extensions"] == {"code": "CONFLICT", "field": "status", "openChildren": 1}
    assert await written(owner_sessions, tenant_id) == before
    closed = await move(incidents, parent, status="CLOSED", force=True)
    assert (closed["toStatus"], closed["cascaded"]) == ("CLOSED", [])
    assert (await read(incidents, children[0]))["status"] == "IN_PROGRESS"


# --- the family's shape ---


async def test_parent_links_and_their_history(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    parent, child = await new(incidents), await new(incidents)
    linked = await incidents.ok(SET_PARENT, id=child, parent=parent)
    assert linked["setIncidentParent"]["parent"] == {"id": parent}
    assert [c["id"] for c in (await read(incidents, parent))["children"]] == [child]
    again = await written(owner_sessions, tenant_id)
    await incidents.ok(SET_PARENT, id=child, parent=parent)  # unchanged: nothing written
    assert await written(owner_sessions, tenant_id) == again

    cleared = await incidents.ok(SET_PARENT, id=child, parent=None)

    assert cleared["setIncidentParent"]["parent"] is None
    history = [
        h for h in (await read(incidents, child))["history"] if h["kind"] == "PARENT_CHANGED"
    ]
    assert [h["changes"] for h in history] == [
        [{"field": "parentId", "oldValue": None, "newValue": parent}],
        [{"field": "parentId", "oldValue": parent, "newValue": None}],
    ]
    kinds = await events_of(owner_sessions, tenant_id, child)
    assert kinds.count("incident.parent_changed") == 2


async def test_ancestor_cycles_and_grandchildren_are_refused(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    a, b, c = await new(incidents), await new(incidents), await new(incidents)
    await incidents.ok(SET_PARENT, id=b, parent=a)
    before = await written(owner_sessions, tenant_id)

    own = await error_of(incidents, SET_PARENT, id=a, parent=a)
    cycle = await error_of(incidents, SET_PARENT, id=a, parent=b)
    grandchild = await error_of(incidents, SET_PARENT, id=c, parent=b)
    await incidents.ok(SET_PARENT, id=c, parent=a)
    parent_as_child = await error_of(incidents, SET_PARENT, id=a, parent=await new(incidents))
    nobody = await error_of(incidents, SET_PARENT, id=c, parent=str(uuid.uuid4()))

    assert own["extensions"] == {"code": "BAD_USER_INPUT", "field": "parentId"}
    assert cycle["extensions"] == {"code": "CONFLICT", "field": "parentId"}
    assert "its own ancestor" in cycle["message"]
    assert grandchild["extensions"] == {"code": "CONFLICT", "field": "parentId"}
    assert "a child cannot have children" in grandchild["message"]
    assert parent_as_child["extensions"] == {"code": "CONFLICT", "field": "parentId"}
    assert "a parent cannot become a child" in parent_as_child["message"]
    assert nobody["extensions"]["code"] == "NOT_FOUND"
    assert (await read(incidents, b))["parent"] == {"id": a}
    counts = await written(owner_sessions, tenant_id)
    assert counts["incidents"] == before["incidents"] + 1  # the one created above
    assert counts["incident_changes"] == before["incident_changes"] + 2  # its creation, c's link


async def test_a_deeper_chain_from_old_data_is_still_no_cycle(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    """Rows written before these rules (or by the alert receiver) may chain deeper: the
    ancestor walk follows them."""
    a, b, c = await new(incidents), await new(incidents), await new(incidents)
    async with owner_sessions() as session, session.begin():
        for child, parent in ((b, a), (c, b)):
            row = await session.get(tables.Incident, uuid.UUID(child))
            assert row is not None
            row.parent_id = uuid.UUID(parent)
    error = await error_of(incidents, SET_PARENT, id=a, parent=c)
    assert error["extensions"] == {"code": "CONFLICT", "field": "parentId"}
    assert "its own ancestor" in error["message"]


async def test_family_fields_cost_the_same_statements_for_any_page(
    incidents: Subgraph, statements: Any
) -> None:
    parent = await new(incidents)
    for _ in range(6):
        child = await new(incidents)
        await incidents.ok(SET_PARENT, id=child, parent=parent)
    page = """query($n: Int!) { incidents(pagination: {first: $n}) { edges { node {
      parent { number children { number } } children { number } duplicateOf { id }
      duplicates { id } watchers { id } major } } } }"""
    counts = []
    for size in (2, 6):  # pages of children only (newest first)
        statements.reset()
        await incidents.ok(page, n=size)
        counts.append(statements.count)
    assert counts[0] == counts[1]


# --- major incidents ---

PROPOSE = """mutation($id: ID!, $reason: String!) {
  proposeMajorIncident(id: $id, reason: $reason) { major majorState majorReason } }"""
ACCEPT = "mutation($id: ID!) { acceptMajorIncident(id: $id) { major majorState } }"
REJECT = """mutation($id: ID!, $reason: String!) {
  rejectMajorIncident(id: $id, reason: $reason) { major majorState majorReason } }"""
MAJORS = """query($states: [MajorIncidentState!]) { majorIncidents(states: $states) {
  totalCount edges { node { id major majorState } } } }"""


async def test_major_incident_proposal_acceptance_and_rejection(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    as_roles: Callable[..., Context],
) -> None:
    one, two = await new(incidents), await new(incidents)
    empty = await error_of(incidents, PROPOSE, id=one, reason="  ")
    assert empty["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}
    undecided = await error_of(incidents, ACCEPT, id=one)
    assert undecided["extensions"]["code"] == "CONFLICT"

    proposed = await incidents.ok(PROPOSE, as_roles("operator"), id=one, reason="All sites")
    assert proposed["proposeMajorIncident"] == {
        "major": False,
        "majorState": "PROPOSED",
        "majorReason": "All sites",
    }
    assert (await error_of(incidents, PROPOSE, id=one, reason="again"))["extensions"][
        "code"
    ] == "CONFLICT"
    refused = await incidents.run(ACCEPT, as_roles("operator"), id=one)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]

    accepted = await incidents.ok(ACCEPT, as_roles("admin"), id=one)
    assert accepted["acceptMajorIncident"] == {"major": True, "majorState": "ACCEPTED"}
    await incidents.ok(PROPOSE, id=two, reason="Payroll late")
    rejected = await incidents.ok(REJECT, id=two, reason="One team only")
    assert rejected["rejectMajorIncident"] == {
        "major": False,
        "majorState": "REJECTED",
        "majorReason": "One team only",
    }

    majors = (await incidents.ok(MAJORS))["majorIncidents"]
    assert [e["node"]["id"] for e in majors["edges"]] == [one]
    others = (await incidents.ok(MAJORS, states=["REJECTED", "PROPOSED"]))["majorIncidents"]
    assert [e["node"]["id"] for e in others["edges"]] == [two]
    history = [h for h in (await read(incidents, one))["history"] if h["kind"] == "MAJOR_CHANGED"]
    assert [h["changes"][0]["newValue"] for h in history] == ["PROPOSED", "ACCEPTED"]
    assert (await events_of(owner_sessions, tenant_id, one)).count("incident.major_changed") == 2
    async with owner_sessions() as session:
        row = await session.get(tables.Incident, uuid.UUID(one))
        majors_in_sql = await session.scalar(
            select(func.count())
            .select_from(tables.Incident)
            .where(tables.Incident.tenant_id == tenant_id, family_rules.MAJOR)
        )
    assert family_rules.is_major(row) and majors_in_sql == 1
    again = await incidents.ok(PROPOSE, id=two, reason="Now every team")  # after a rejection
    assert again["proposeMajorIncident"]["majorState"] == "PROPOSED"


# --- duplicates and watchers ---

WATCH = (
    "mutation($id: ID!, $user: ID) { watchIncident(id: $id, userId: $user) { watchers { id } } }"
)
UNWATCH = """mutation($id: ID!, $user: ID) {
  unwatchIncident(id: $id, userId: $user) { watchers { id } } }"""
DUPLICATE = """mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) {
  status cancelReason duplicateOf { id } watchers { id } } }"""


async def test_watching_is_idempotent_and_recorded(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    as_roles: Callable[..., Context],
) -> None:
    incident, me = await new(incidents), uuid.uuid4()
    watched = await incidents.ok(WATCH, as_roles("viewer", user=me), id=incident)
    assert watched["watchIncident"]["watchers"] == [{"id": str(me)}]
    before = await written(owner_sessions, tenant_id)
    await incidents.ok(WATCH, as_roles("viewer", user=me), id=incident)
    assert await written(owner_sessions, tenant_id) == before

    # A viewer keeps only their own watch; naming someone else needs incident:update.
    other = await incidents.run(
        WATCH, as_roles("viewer", user=me), id=incident, user=str(uuid.uuid4())
    )
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]
    nobody = await incidents.run(WATCH, as_roles("viewer"), id=incident)
    assert nobody["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "userId"}

    unwatched = await incidents.ok(UNWATCH, as_roles("viewer", user=me), id=incident)
    assert unwatched["unwatchIncident"]["watchers"] == []
    history = [
        h for h in (await read(incidents, incident))["history"] if h["kind"] == "WATCHERS_CHANGED"
    ]
    assert [h["changes"] for h in history] == [
        [{"field": "watcher", "oldValue": None, "newValue": str(me)}],
        [{"field": "watcher", "oldValue": str(me), "newValue": None}],
    ]
    assert (await events_of(owner_sessions, tenant_id, incident)).count(
        "incident.watchers_changed"
    ) == 2


async def test_mark_duplicate_cancels_moves_watchers_and_links_both(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    as_roles: Callable[..., Context],
) -> None:
    original, duplicate = await new(incidents), await new(incidents)
    ann, bob = uuid.uuid4(), uuid.uuid4()
    await incidents.ok(WATCH, as_roles("operator", user=ann), id=original)
    for user in (ann, bob):
        await incidents.ok(WATCH, as_roles("operator", user=user), id=duplicate)

    merged = (await incidents.ok(DUPLICATE, id=duplicate, of=original))["markDuplicate"]

    assert merged == {
        "status": "CANCELLED",
        "cancelReason": "DUPLICATE",
        "duplicateOf": {"id": original},
        "watchers": [],
    }
    kept = await read(incidents, original)
    assert kept["duplicates"] == [{"id": duplicate}]
    assert {w["id"] for w in kept["watchers"]} == {str(ann), str(bob)}
    # One transaction: its entries share a time (their order within it is the ids').
    assert kept["history"][-1]["kind"] == "DUPLICATE_MERGED"
    marked = (await read(incidents, duplicate))["history"][-2:]
    assert {h["kind"] for h in marked} == {"STATUS_CHANGED", "DUPLICATE_MARKED"}
    kinds = await events_of(owner_sessions, tenant_id, duplicate)
    assert kinds[-2:] == ["incident.status_changed", "incident.duplicate_marked"]

    before = await written(owner_sessions, tenant_id)
    third = await new(incidents)
    before = await written(owner_sessions, tenant_id)
    itself = await error_of(incidents, DUPLICATE, id=third, of=third)
    of_a_duplicate = await error_of(incidents, DUPLICATE, id=third, of=duplicate)
    already = await error_of(incidents, DUPLICATE, id=duplicate, of=third)
    assert itself["extensions"] == {"code": "BAD_USER_INPUT", "field": "of"}
    assert of_a_duplicate["extensions"] == {"code": "CONFLICT", "field": "of"}
    assert already["extensions"]["code"] == "CONFLICT"
    assert await written(owner_sessions, tenant_id) == before
