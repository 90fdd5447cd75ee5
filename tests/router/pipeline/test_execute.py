"""The execute stage alone: a prepared plan run through in-process transports, the response
shaped from the client's operation, and the status an executed response maps to."""

from __future__ import annotations

from graphql import parse

from router.composition import Supergraph
from router.execution import Transport
from router.limits import OperationLimits
from router.pipeline.execute import PlanRunner, executed
from router.pipeline.results import Prepared
from router.planning import plan_operation, select_operation
from tests.router.fixture_subgraphs import RequestContext

QUERY = "{ me { name } }"


def prepared(supergraph: Supergraph, query: str) -> Prepared:
    operation = select_operation(supergraph, parse(query), None)
    return Prepared(plan_operation(supergraph, operation), operation, {})


async def test_a_plan_runs_to_a_shaped_body(
    supergraph: Supergraph, transports: dict[str, Transport]
) -> None:
    runner = PlanRunner(supergraph, transports, OperationLimits())
    body = await runner.run(prepared(supergraph, QUERY), None, RequestContext())
    assert body == {"data": {"me": {"name": "Ada"}}}


async def test_pruning_errors_come_first_and_hints_are_hidden(
    supergraph: Supergraph, transports: dict[str, Transport]
) -> None:
    runner = PlanRunner(supergraph, transports, OperationLimits(suggestions=False))
    pruned = {"message": "Did it work? Did you mean 'name'?", "extensions": {"code": "FORBIDDEN"}}
    ready = prepared(supergraph, QUERY)
    ready = Prepared(ready.plan, ready.operation, {}, (pruned,))
    body = await runner.run(ready, None, RequestContext())
    assert body["errors"] == [{"message": "Did it work?", "extensions": {"code": "FORBIDDEN"}}]


def test_a_body_of_nothing_but_unavailable_subgraphs_is_a_503() -> None:
    unavailable = {"message": "down", "extensions": {"code": "SERVICE_UNAVAILABLE"}}
    result = executed({"errors": [unavailable], "data": None})
    assert (result.status, dict(result.headers)) == (503, {"Retry-After": "2"})
    assert executed({"data": {"me": None}}).status == 200
