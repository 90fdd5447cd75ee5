"""The query plan in ``extensions``: asked for with a header, shown to whom the deployment
allows, ignored for anyone else."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from graphql import parse

from router.composition import Supergraph
from router.execution import Transport
from router.gateway import Gateway
from router.pipeline.query_plan import QUERY_PLAN_HEADER, asks_for_plan
from router.planning import format_plan, plan_operation, select_operation
from tests.router.fixture_subgraphs import RequestContext

QUERY = "{ me { name reviews { body } } }"
ANSWER = {"me": {"name": "Ada", "reviews": [{"body": "Clicky"}, {"body": "Loud"}]}}


@dataclass
class AdminContext:
    """A context whose caller is (or is not) an administrator."""

    admin: bool
    headers: dict[str, str] = field(default_factory=dict)


async def admins_only(context: object) -> bool:
    return isinstance(context, AdminContext) and context.admin


def expected_plan(supergraph: Supergraph) -> str:
    return format_plan(plan_operation(supergraph, select_operation(supergraph, parse(QUERY), None)))


@pytest.fixture
def gateway(supergraph: Supergraph, transports: dict[str, Transport]) -> Gateway:
    return Gateway(supergraph, dict(transports), plan_access=admins_only)


@pytest.mark.parametrize("value", ["1", "true", "YES"])
def test_the_header_asks_for_the_plan(value: str) -> None:
    assert asks_for_plan(RequestContext({QUERY_PLAN_HEADER: value}))
    assert asks_for_plan(RequestContext({"X-OpsGraph-Query-Plan": value}))


@pytest.mark.parametrize("headers", [{}, {QUERY_PLAN_HEADER: "0"}, {"x-other": "1"}])
def test_without_the_header_no_plan_is_asked(headers: dict[str, str]) -> None:
    assert not asks_for_plan(RequestContext(headers))


async def test_an_admin_asking_gets_the_printed_plan_beside_the_answer(
    gateway: Gateway, supergraph: Supergraph
) -> None:
    body = await gateway.execute(QUERY, None, None, AdminContext(True, {QUERY_PLAN_HEADER: "1"}))

    assert body["data"] == ANSWER
    assert body["extensions"] == {"queryPlan": expected_plan(supergraph)}
    assert body["extensions"]["queryPlan"].startswith("QueryPlan {\n  Sequence {\n    Fetch(")


@pytest.mark.parametrize(
    "context",
    [
        AdminContext(False, {QUERY_PLAN_HEADER: "1"}),  # not an admin: the header is ignored
        AdminContext(True),  # an admin who does not ask
        RequestContext({QUERY_PLAN_HEADER: "1"}),  # a caller the deployment cannot judge
    ],
)
async def test_everyone_else_gets_the_answer_alone(gateway: Gateway, context: object) -> None:
    assert await gateway.execute(QUERY, None, None, context) == {"data": ANSWER}


async def test_a_gateway_without_plan_access_shows_no_plan(
    supergraph: Supergraph, transports: dict[str, Transport]
) -> None:
    plain = Gateway(supergraph, dict(transports))

    body = await plain.execute(QUERY, None, None, AdminContext(True, {QUERY_PLAN_HEADER: "1"}))

    assert body == {"data": ANSWER}


async def test_a_request_refused_before_planning_has_no_plan(gateway: Gateway) -> None:
    body = await gateway.execute(
        "{ nope }", None, None, AdminContext(True, {QUERY_PLAN_HEADER: "1"})
    )

    assert "extensions" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
