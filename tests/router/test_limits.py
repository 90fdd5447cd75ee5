"""Operation limits: depth, aliases, directives (counted through fragments), tokens and cost."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, build_schema, get_operation_ast, parse

from router.limits import OperationLimits, check_cost, check_shape, estimate_cost

SCHEMA = build_schema("""
  input Pagination { first: Int last: Int }
  type Query { incidents(pagination: Pagination): IncidentConnection! user: User }
  type IncidentConnection { edges: [IncidentEdge!]! }
  type IncidentEdge { node: Incident! }
  type Incident { title: String! comments(last: Int): [Comment!]! assignee: User }
  type Comment { body: String! author: User }
  type User { name: String! friends: [User!]! }
""")
LIMITS = OperationLimits(max_depth=5, max_aliases=3, max_directives=2, max_cost=1000)


def codes(query: str, limits: OperationLimits = LIMITS) -> list[str]:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return [e.extensions["code"] for e in check_shape(document, operation, limits)]


def test_within_limits() -> None:
    assert codes("{ incidents { edges { node { title } } } }") == []


def test_depth_counts_through_fragments() -> None:
    assert codes("{ user { friends { friends { friends { name } } } } }") == []
    deep = (
        "{ user { ...F } } fragment F on User { friends { friends { friends { friends "
        "{ name } } } } }"
    )
    assert codes(deep) == ["MAX_DEPTH_LIMIT"]


def test_aliases_count_once_per_spread() -> None:
    bomb = "{ user { ...A ...A } } fragment A on User { a: name b: name }"
    assert codes(bomb) == ["MAX_ALIASES_LIMIT"]  # 2 spreads × 2 aliases = 4 > 3


def test_directives_are_counted() -> None:
    query = (
        "{ user @include(if: true) { name @skip(if: false) friends @skip(if: false) { name } } }"
    )
    assert codes(query) == ["MAX_DIRECTIVES_LIMIT"]


def test_cyclic_fragments_end() -> None:
    cyclic = (
        "{ user { ...A } } fragment A on User { friends { ...B } } "
        "fragment B on User { friends { ...A } }"
    )
    assert codes(cyclic) == []  # validation, which runs next, reports the cycle


def test_a_fragment_bomb_is_counted_without_expanding_it() -> None:
    # 10 levels of 10 spreads each would be 10^10 fields expanded; memoised, it is instant.
    levels = ["fragment F0 on User { a: name }"] + [
        f"fragment F{i} on User {{ {' '.join(f'...F{i - 1}' for _ in range(10))} }}"
        for i in range(1, 10)
    ]
    bomb = "{ user { ...F9 } } " + " ".join(levels)
    assert codes(bomb) == ["MAX_ALIASES_LIMIT"]


def test_token_limit_stops_parsing() -> None:
    with pytest.raises(GraphQLSyntaxError, match="more than 20 tokens"):
        parse("{ " + "a " * 50 + "}", max_tokens=20)


def cost(query: str, **variables: object) -> int:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return estimate_cost(SCHEMA, document, operation, variables)


def test_cost_multiplies_down_the_lists() -> None:
    page = (
        "{ incidents(pagination: {first: 50}) { edges { node { title comments(last: 3) "
        "{ body } } } } }"
    )
    # incidents 1 + 50 × (edges 1 + 1 × (node 1 + title 1 + comments 1 + 3 × body 1))
    assert cost(page) == 1 + 50 * (1 + 1 * (1 + 1 + 1 + 3 * 1))


def test_cost_reads_sizes_from_variables_and_defaults() -> None:
    query = "query($p: Pagination) { incidents(pagination: $p) { edges { node { title } } } }"
    assert cost(query, p={"first": 100}) == 1 + 100 * (1 + 1 * (1 + 1))
    assert cost(query) == 1 + 20 * (1 + 1 * (1 + 1))  # a connection's default page


def test_cost_limit() -> None:
    expensive = (
        "{ incidents(pagination: {first: 100}) { edges { node { comments { author "
        "{ friends { name } } } } } } }"
    )
    document = parse(expensive)
    operation = get_operation_ast(document)
    assert operation is not None
    [error] = check_cost(SCHEMA, document, operation, {}, LIMITS)
    assert error.extensions == {"code": "MAX_COST_LIMIT"}
    assert error.message.startswith("Query cost ")


def test_introspection_is_not_counted() -> None:
    from graphql import get_introspection_query

    assert codes(get_introspection_query()) == []
