"""Who may do what with problems: `problem:manage` (known errors, closing) is the admin's
and can be given to a tenant's own role; an operator creates, updates and links but neither
records known errors nor closes; a viewer reads."""

from __future__ import annotations

from typing import Any

from tests.subgraphs.problems.conftest import create_problem
from tests.support import Subgraph

KNOWN = """mutation($id: ID!) { markKnownError(id: $id, input: {symptom: "s", workaround: "w"}) {
  knownError } }"""
CLOSE = """mutation($id: ID!) { updateProblem(id: $id, input: {status: CLOSED}) { status } }"""
RESOLVE = """mutation($id: ID!, $status: ProblemStatus!) { updateProblem(id: $id,
  input: {status: $status, rootCause: "c", resolutionCode: FIX_APPLIED}) { status } }"""


def code(result: dict[str, Any]) -> str | None:
    return result["errors"][0]["extensions"]["code"] if result["errors"] else None


async def test_a_custom_role_can_be_given_problem_manage(
    problems: Subgraph,
    identity: Subgraph,
    as_roles: Any,
) -> None:
    role = await identity.ok(
        'mutation { createRole(input: {name: "problem-manager", permissions: '
        '["problem:view", "problem:update", "problem:manage"]}) { permissions } }'
    )
    assert role["createRole"]["permissions"] == ["problem:manage", "problem:update", "problem:view"]
    made = await create_problem(problems)
    for status in ("ASSESS", "ROOT_CAUSE_ANALYSIS", "RESOLVED"):
        await problems.ok(RESOLVE, id=made["id"], status=status)

    manager = {"problem-manager": frozenset({"problem:view", "problem:update", "problem:manage"})}
    operator_known = await problems.run(KNOWN, as_roles("operator"), id=made["id"])
    operator_close = await problems.run(CLOSE, as_roles("operator"), id=made["id"])
    viewer_close = await problems.run(CLOSE, as_roles("viewer"), id=made["id"])
    viewer_reads = await problems.run("{ problems { totalCount } }", as_roles("viewer"))
    managed_known = await problems.run(
        KNOWN, as_roles("problem-manager", custom=manager), id=made["id"]
    )
    managed_close = await problems.run(
        CLOSE, as_roles("problem-manager", custom=manager), id=made["id"]
    )

    assert [code(r) for r in (operator_known, operator_close, viewer_close)] == ["FORBIDDEN"] * 3
    assert viewer_reads["data"] == {"problems": {"totalCount": 1}}
    assert managed_known["data"] == {"markKnownError": {"knownError": True}}
    assert managed_close["data"] == {"updateProblem": {"status": "CLOSED"}}
