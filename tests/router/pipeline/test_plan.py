"""The plan stage alone: one plan per operation key and set of pruned coordinates."""

from __future__ import annotations

from graphql import parse

from router.composition import Supergraph
from router.pipeline.plan import PlanCache
from router.planning import format_plan, select_operation

QUERY = "{ topProducts { name createdBy { name } } }"


def test_a_plan_is_built_once_per_key(supergraph: Supergraph) -> None:
    plans = PlanCache(supergraph, capacity=10)
    operation = select_operation(supergraph, parse(QUERY), None)
    first = plans.plan(("d", None, "v", ()), operation)
    assert plans.plan(("d", None, "v", ()), operation) is first
    assert plans.plan(("d", None, "v", ("Order.total",)), operation) is not first
    assert len(plans) == 2
    assert set(first.subgraphs) == {"products", "accounts"}
    assert 'Fetch(service: "products")' in format_plan(first)
