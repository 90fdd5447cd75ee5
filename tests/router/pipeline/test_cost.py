"""The cost stage alone: list sizes multiplied down the selection, with the variables."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse

from router.composition import Supergraph
from router.limits import OperationLimits
from router.pipeline.cost import check_cost_limit
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
