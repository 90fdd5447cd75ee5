"""The cost stage alone: list sizes multiplied down the selection, with the variables."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, build_schema, parse

from router.analysis import CostEstimate
from router.composition import Supergraph
from router.limits import OperationLimits
from router.pipeline.cost import OperationCosts, check_cost_limit
from router.pipeline.errors import RequestError

QUERY = parse("query($n: Int!) { topProducts(first: $n) { name } }")


def check(supergraph: Supergraph, first: int, max_cost: int) -> None:
    operation = QUERY.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    limits = OperationLimits(max_cost=max_cost)
    check_cost_limit(supergraph.schema, QUERY, operation, {"n": first}, limits)


def test_an_operation_within_the_cost_limit_passes(supergraph: Supergraph) -> None:
    check(supergraph, first=2, max_cost=100)


def test_an_operation_over_the_cost_limit_is_refused(supergraph: Supergraph) -> None:
    with pytest.raises(RequestError) as refused:
        check(supergraph, first=1000, max_cost=100)
    [error] = refused.value.errors
    assert error["extensions"]["code"] == "MAX_COST_LIMIT"
    assert error["message"].endswith(
        "exceeds the limit of 100; ask for smaller pages or fewer fields"
    )


def test_an_operation_is_estimated_once_per_size(
    supergraph: Supergraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost depends on the variables size arguments name, nothing else: asked again
    with other values of the rest, the estimate is reused; with another size, made anew."""
    document = parse("query($n: Int!, $upc: String) { topProducts(first: $n) { name } }")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    estimates: list[int] = []
    measure = CostEstimate.of

    def counted(estimate: CostEstimate, operation: OperationDefinitionNode) -> int:
        estimates.append(1)
        return measure(estimate, operation)

    monkeypatch.setattr(CostEstimate, "of", counted)
    costs = OperationCosts()
    limits = OperationLimits(max_cost=100)

    def check(variables: dict[str, Any]) -> None:
        check_cost_limit(
            supergraph.schema, document, operation, variables, limits, costs=costs, key="op"
        )

    for upc in ("1", "2", "3"):
        check({"n": 5, "upc": upc})
    assert len(estimates) == 1
    with pytest.raises(RequestError) as refused:
        check({"n": 1000, "upc": "1"})
    assert refused.value.errors[0]["extensions"]["code"] == "MAX_COST_LIMIT"
    with pytest.raises(RequestError):  # the refusal is remembered as well
        check({"n": 1000, "upc": "2"})
    check({"n": 5, "upc": "4"})
    assert len(estimates) == 2


def test_sizes_named_inside_input_objects_count_as_sizes() -> None:
    schema = build_schema("""
      input Pagination { first: Int last: Int }
      type Query { items(pagination: Pagination): [Item!]! }
      type Item { id: ID! }
    """)
    document = parse(
        "query($page: Pagination, $first: Int, $other: Int) { items(pagination: $page) { id } "
        "more: items(pagination: {first: $first}) { id } }"
    )
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    estimate = CostEstimate(schema, document, {"page": {"first": 3}, "first": 2, "other": 1})
    assert estimate.of(operation) == 3 * 1 + 1 + 2 * 1 + 1
    assert estimate.variables_read == {"page", "first"}
