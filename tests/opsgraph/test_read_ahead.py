"""Reads with the object: what a query asks of an object it names by id (``incident(id:)``,
an entity fetch's representations) is read in the object's own statement
(resolvers/batching.py), and answers as it would have read after it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from opsgraph.server import build_gateway
from router.gateway import Gateway
from tests.opsgraph.test_statement_counts import seeded_tenant

DETAIL = """query($id: ID!) {
  incident(id: $id) {
    number
    comments { body author { name } }
    history { kind actor { name } }
    assignee { name teams { name } }
    team { name members { name } }
  }
}"""


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


async def incident_with_comments(owner_sessions: Any, tenant: uuid.UUID) -> str:
    """An incident of ``tenant`` with comments, an assignee and a team."""
    async with owner_sessions() as session:
        found = await session.scalar(
            text(
                "SELECT i.id FROM incidents.incidents i WHERE i.tenant_id = :tenant"
                " AND i.assignee_id IS NOT NULL AND i.team_id IS NOT NULL AND EXISTS"
                " (SELECT 1 FROM incidents.incident_comments c WHERE c.incident_id = i.id)"
                " ORDER BY i.number LIMIT 1"
            ),
            {"tenant": tenant},
        )
    assert found is not None, "the demo data has incidents with comments"
    return str(found)


async def test_the_detail_reads_its_children_with_the_incident_and_the_users(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, statements: Any
) -> None:
    """set_config · the incident with its comments and history · the users and the team with
    the user's teams and the team's members: 3 statements (5 when each level's children
    waited for their parents' rows)."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    incident = await incident_with_comments(owner_sessions, seeded)
    statements.reset()
    result = await gateway.execute(DETAIL, {"id": incident}, None, new_context(seeded))
    assert "errors" not in result, result["errors"]
    answer = result["data"]["incident"]
    assert answer["comments"] and all(c["author"]["name"] for c in answer["comments"])
    assert answer["team"]["members"] and isinstance(answer["assignee"]["teams"], list)
    sent = statements.statements
    assert len(sent) == 3, sent
    assert all(table in sent[1] for table in ("incidents.incidents", "incident_comments")), sent
    assert "incident_changes" in sent[1], sent
    assert all(table in sent[2] for table in ("identity.users", "identity.team_members")), sent


async def test_what_is_read_ahead_answers_as_the_normal_executor(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any
) -> None:
    """Every subgraph query of this test is answered by the normal executor too, which reads
    nothing ahead, and the answers must be the same bytes (tests/compiled_check.py): the
    incident's and the entity fetch's (users with their teams, a team with its members)."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    incident = await incident_with_comments(owner_sessions, seeded)
    twice = """query($id: ID!) {
      one: incident(id: $id) { comments(last: 2) { body } history { kind } }
      two: incident(id: $id) { comments { body } assignee { teams { name members { name } } } }
    }"""
    for query in (DETAIL, twice):
        result = await gateway.execute(query, {"id": incident}, None, new_context(seeded))
        assert "errors" not in result, result["errors"]
    assert result["data"]["two"]["comments"][-2:] == result["data"]["one"]["comments"]


async def test_an_unknown_incident_costs_one_read_and_answers_null(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, statements: Any
) -> None:
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        statements.reset()
        result = await gateway.execute(DETAIL, {"id": unknown}, None, new_context(seeded))
        assert result == {"data": {"incident": None}}, unknown
        assert statements.count <= 2, statements.statements  # set_config, the one read


async def test_another_tenants_incident_is_not_read_ahead_into_the_answer(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any
) -> None:
    """The reads ahead stand behind the tenant's wall as every read does."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    theirs = await incident_with_comments(owner_sessions, seeded)
    result = await gateway.execute(DETAIL, {"id": theirs}, None, new_context(tenant_id))
    assert result == {"data": {"incident": None}}


async def test_a_field_refusing_its_arguments_answers_once_as_without_reading_ahead(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any
) -> None:
    """A read ahead that fails is dropped: the field reports its own error, once."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    incident = await incident_with_comments(owner_sessions, seeded)
    query = "query($id: ID!) { incident(id: $id) { number comments(last: 500) { body } } }"
    result = await gateway.execute(query, {"id": incident}, None, new_context(seeded))
    assert result["data"] == {"incident": None}  # comments is non-null: the null goes up
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["incident", "comments"], "BAD_USER_INPUT")
    ]


@pytest.mark.parametrize(
    ("query", "table", "read_with_it"),
    [
        (
            "query($id: ID!) { problem(id: $id) { title comments { body } history { kind }"
            " affectedCis { id } } }",
            "problems.problems",
            ("problem_comments", "problem_changes", "problem_affected_cis"),
        ),
        (
            "query($id: ID!) { configurationItem(id: $id) { name history { kind } } }",
            "cmdb.configuration_items",
            ("ci_changes",),
        ),
    ],
    ids=["problem", "configuration item"],
)
async def test_other_domains_read_what_is_asked_of_an_object_with_it(
    gateway: Gateway,
    owner_sessions: Any,
    tenant_id: Any,
    new_context: Any,
    statements: Any,
    query: str,
    table: str,
    read_with_it: tuple[str, ...],
) -> None:
    """set_config, then the object with its comments, history and CIs: one statement."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    async with owner_sessions() as session:
        found = await session.scalar(
            text(f"SELECT id FROM {table} WHERE tenant_id = :tenant LIMIT 1"), {"tenant": seeded}
        )
    assert found is not None, f"the demo data has rows in {table}"
    statements.reset()
    result = await gateway.execute(query, {"id": str(found)}, None, new_context(seeded))
    assert "errors" not in result, result["errors"]
    assert next(iter(result["data"].values())) is not None
    sent = statements.statements
    assert len(sent) == 2, sent
    assert all(name in sent[1] for name in (table, *read_with_it)), sent
