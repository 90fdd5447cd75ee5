"""Fixtures of the problems subgraph's tests: the subgraph in-process for the test's tenant,
the router in-process (problems with the incidents, identity and cmdb subgraphs), and
helpers that make incidents and problems."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from opsgraph.server import build_gateway
from router.gateway import Gateway
from subgraphs.problems import schema as problems_schema
from tests.support import Subgraph

CREATE_PROBLEM = """mutation($input: CreateProblemInput!) { createProblem(input: $input) {
  id number status priority } }"""
CREATE_INCIDENT = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) {
  id number } }"""


@pytest.fixture
def problems(new_context: Any) -> Subgraph:
    return Subgraph(problems_schema, new_context)


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


async def run(gateway: Gateway, context: Any, query: str, **variables: Any) -> dict[str, Any]:
    """The operation through the router in-process, in its own request context."""
    try:
        return await gateway.execute(query, variables, None, context)
    finally:
        await context.close()


async def ok(gateway: Gateway, context: Any, query: str, **variables: Any) -> dict[str, Any]:
    result = await run(gateway, context, query, **variables)
    assert "errors" not in result, result["errors"]
    return result["data"]  # type: ignore[no-any-return]


def codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in result["errors"]]


async def create_problem(problems: Subgraph, title: str = "Disk fills up", **fields: Any) -> Any:
    data = await problems.ok(CREATE_PROBLEM, input={"title": title, **fields})
    return data["createProblem"]


async def create_incidents(
    incidents: Any, *titles: str, **fields: Any
) -> list[dict[str, Any]]:
    """New incidents of the test's tenant (their id and number)."""
    made = []
    for title in titles:
        data = await incidents.ok(CREATE_INCIDENT, input={"title": title, **fields})
        made.append(data["createIncident"])
    return made


def some_id() -> str:
    return str(uuid.uuid4())
