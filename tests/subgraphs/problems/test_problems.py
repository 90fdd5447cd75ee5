"""Problems against real PostgreSQL through the problems subgraph in-process: the life of a
problem along the transition table with its required fields, known errors and workarounds,
the events each change writes (contract of issue 20, section 2), and errors that change
nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from db.tables import events
from subgraphs.problems import tables
from tests.subgraphs.problems.conftest import create_problem
from tests.support import Subgraph

UPDATE = """mutation($id: ID!, $input: UpdateProblemInput!) {
  updateProblem(id: $id, input: $input) {
  status rootCause resolutionCode resolvedAt closedAt priority
  history { kind changes { field oldValue newValue } } } }"""
KNOWN = """mutation($id: ID!, $input: MarkKnownErrorInput!) {
  markKnownError(id: $id, input: $input) {
  knownError symptom workaround errorCode knownErrorAt } }"""
PUBLISH = """mutation($id: ID!, $w: String) { publishWorkaround(id: $id, workaround: $w) {
  workaround workaroundPublishedAt } }"""


def code(result: dict[str, Any]) -> tuple[str, str | None]:
    error = result["errors"][0]["extensions"]
    return error["code"], error.get("field")


async def outbox(owner_sessions: Any, tenant_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    o = events.OutboxEvent
    async with owner_sessions() as session:
        rows = await session.execute(
            select(o.kind, o.payload)
            .where(o.tenant_id == tenant_id, o.domain == "problems")
            .order_by(o.id)
        )
        return [(row.kind, row.payload) for row in rows]


async def test_a_problem_walks_the_table_with_its_required_fields(
    problems: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    made = await create_problem(problems, impact="HIGH", urgency="MEDIUM")
    assert (made["number"], made["status"], made["priority"]) == ("PRB-1", "NEW", "HIGH")
    id = made["id"]

    async def move(**fields: Any) -> dict[str, Any]:
        return await problems.run(UPDATE, id=id, input=fields)

    skipped = await move(status="FIX_IN_PROGRESS")  # NEW → FIX_IN_PROGRESS is no move
    assert code(skipped) == ("CONFLICT", "status")
    assert (await move(status="ASSESS"))["errors"] == []
    assert (await move(status="ROOT_CAUSE_ANALYSIS"))["errors"] == []
    no_cause = await move(status="FIX_IN_PROGRESS")
    assert code(no_cause) == ("BAD_USER_INPUT", "input.rootCause")
    fixing = await move(status="FIX_IN_PROGRESS", rootCause="Log rotation is off")
    assert fixing["data"]["updateProblem"]["status"] == "FIX_IN_PROGRESS"
    no_code = await move(status="RESOLVED")
    assert code(no_code) == ("BAD_USER_INPUT", "input.resolutionCode")
    resolved = await move(status="RESOLVED", resolutionCode="FIX_APPLIED")
    problem = resolved["data"]["updateProblem"]
    assert (problem["status"], problem["resolutionCode"]) == ("RESOLVED", "FIX_APPLIED")
    assert problem["resolvedAt"] is not None
    closed = await move(status="CLOSED")  # the admin of the fixture has problem:manage
    assert closed["data"]["updateProblem"]["closedAt"] is not None
    final = await move(title="Too late")
    assert code(final) == ("CONFLICT", "status")

    kinds = [entry["kind"] for entry in closed["data"]["updateProblem"]["history"]]
    assert kinds == ["CREATED", *["STATUS_CHANGED"] * 2, "UPDATED", "UPDATED", "STATUS_CHANGED"]
    written = await outbox(owner_sessions, tenant_id)
    assert [kind for kind, _ in written] == [
        "problem.created",
        "problem.status_changed",
        "problem.status_changed",
        "problem.updated",
        "problem.updated",
        "problem.resolved",
        "problem.status_changed",
    ]
    resolved_event = written[5][1]
    assert resolved_event == {
        "id": id,
        "number": "PRB-1",
        "title": "Disk fills up",
        "resolutionCode": "FIX_APPLIED",
        "incidentIds": [],
        "actorId": None,
        "changes": {
            "resolutionCode": [None, "FIX_APPLIED"],
            "status": ["FIX_IN_PROGRESS", "RESOLVED"],
        },
    }


async def test_closing_needs_problem_manage(
    problems: Subgraph, as_roles: Any, owner_sessions: Any
) -> None:
    made = await create_problem(problems)
    for status in ("ASSESS", "ROOT_CAUSE_ANALYSIS"):
        await problems.ok(UPDATE, id=made["id"], input={"status": status})
    await problems.ok(
        UPDATE,
        id=made["id"],
        input={"status": "RESOLVED", "rootCause": "x", "resolutionCode": "RISK_ACCEPTED"},
    )
    refused = await problems.run(
        UPDATE, as_roles("operator"), id=made["id"], input={"status": "CLOSED"}
    )
    assert refused["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "permission": "problem:manage",
    }
    async with owner_sessions() as session:
        status = await session.scalar(
            select(tables.Problem.status).where(tables.Problem.id == uuid.UUID(made["id"]))
        )
    assert status == "RESOLVED"


async def test_a_known_error_and_its_published_workaround(
    problems: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    made = await create_problem(problems, title="VPN drops")
    none_yet = await problems.run(PUBLISH, id=made["id"])
    assert code(none_yet) == ("BAD_USER_INPUT", "workaround")

    known = await problems.ok(
        KNOWN,
        id=made["id"],
        input={"symptom": "Tunnel drops", "workaround": "Use vpn2", "errorCode": "VPN-1"},
    )
    assert known["markKnownError"]["knownError"] is True
    published = await problems.ok(PUBLISH, id=made["id"])
    again = await problems.ok(PUBLISH, id=made["id"])  # the same text: nothing new
    changed = await problems.ok(PUBLISH, id=made["id"], w="Use vpn3")

    assert published["publishWorkaround"]["workaround"] == "Use vpn2"
    assert again == published
    assert changed["publishWorkaround"]["workaround"] == "Use vpn3"
    listed = await problems.ok(
        "{ knownErrors { totalCount edges { node { number symptom workaround } } } "
        "problems(filter: {knownError: false}) { totalCount } }"
    )
    assert listed["knownErrors"]["edges"] == [
        {"node": {"number": "PRB-1", "symptom": "Tunnel drops", "workaround": "Use vpn3"}}
    ]
    assert listed["problems"]["totalCount"] == 0
    published_events = [
        payload
        for kind, payload in await outbox(owner_sessions, tenant_id)
        if kind == "problem.workaround_published"
    ]
    assert [(p["workaround"], p["incidentIds"], p["title"]) for p in published_events] == [
        ("Use vpn2", [], "VPN drops"),
        ("Use vpn3", [], "VPN drops"),
    ]


async def test_reads_by_number_filters_and_comments(problems: Subgraph) -> None:
    first = await create_problem(problems, title="Printer jams", category="hardware")
    await create_problem(problems, title="Mail queue stuck", category="email", impact="HIGH")
    await problems.ok(
        "mutation($id: ID!) { addProblemComment(problemId: $id, input: {body: 'Seen twice'}) "
        "{ body visibility } }".replace("'", '"'),
        id=first["id"],
    )
    read = await problems.ok(
        """{ byNumber: problemByNumber(number: "prb-1") { title comments { body visibility } }
             missing: problemByNumber(number: "PRB-99") { title }
             hardware: problems(filter: {category: "hardware"}) { edges { node { title } } }
             urgent: problems(filter: {priority: [HIGH]}) { edges { node { title } } }
             search: problems(filter: {search: "mail"}) { edges { node { number } } } }"""
    )
    assert read == {
        "byNumber": {
            "title": "Printer jams",
            "comments": [{"body": "Seen twice", "visibility": "WORK_NOTE"}],
        },
        "missing": None,
        "hardware": {"edges": [{"node": {"title": "Printer jams"}}]},
        "urgent": {"edges": [{"node": {"title": "Mail queue stuck"}}]},
        "search": {"edges": [{"node": {"number": "PRB-2"}}]},
    }


async def test_bad_input_changes_nothing(
    problems: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    made = await create_problem(problems)
    cases = [
        ('mutation { createProblem(input: {title: "  "}) { id } }', {}),
        ('mutation { createProblem(input: {title: "x", assigneeId: "nope"}) { id } }', {}),
        (UPDATE, {"id": made["id"], "input": {"status": None}}),
        (UPDATE, {"id": made["id"], "input": {"title": "t" * 201}}),
        (KNOWN, {"id": made["id"], "input": {"symptom": "", "workaround": "w"}}),
        (PUBLISH, {"id": made["id"], "w": " "}),
    ]
    for query, variables in cases:
        result = await problems.run(query, **variables)
        assert code(result)[0] == "BAD_USER_INPUT", (query, result)
    missing = await problems.run(UPDATE, id=str(uuid.uuid4()), input={"title": "x"})
    assert code(missing)[0] == "NOT_FOUND"
    assert [kind for kind, _ in await outbox(owner_sessions, tenant_id)] == ["problem.created"]
