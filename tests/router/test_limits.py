"""Operation limits: depth, aliases, directives (counted through fragments), tokens and cost."""

from __future__ import annotations

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    Visitor,
    build_schema,
    get_operation_ast,
    parse,
    visit,
)

from router.analysis import (
    COST_CEILING,
    CostEstimate,
    DocumentShape,
    Shape,
    VariableShape,
    variable_shape,
)
from router.limits import (
    OperationLimits,
    check_cost,
    check_shape,
    check_variables,
    estimate_cost,
)
from router.planning.operation import Selection, normalize

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
    return [e.extensions["code"] for e in check_shape(parse(query), limits)]


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


# Spread bombs: the work done is counted in visited selections, never timed.


def spread_bomb(levels: int, leaf: str = "__typename", on: str = "Query") -> str:
    """F0 selects `leaf`; each F{i} spreads F{i-1} ten times; the query spreads the last:
    10^levels expanded leaves in a document of 11 + 10 × levels selections."""
    fragments = [f"fragment F0 on {on} {{ {leaf} }}"] + [
        f"fragment F{i} on {on} {{ {' '.join([f'...F{i - 1}'] * 10)} }}"
        for i in range(1, levels + 1)
    ]
    root = f"{{ ...F{levels} }}" if on == "Query" else f"{{ user {{ ...F{levels} }} }}"
    return f"query {root} " + " ".join(fragments)


def selections(document: DocumentNode) -> int:
    """How many selections (fields, spreads, inline fragments) the document's text holds."""
    count = 0

    class Count(Visitor):
        def enter(self, node: Node, *_: object) -> None:
            nonlocal count
            count += isinstance(node, FieldNode | FragmentSpreadNode | InlineFragmentNode)

    visit(document, Count())
    return count


def expanded_cost(levels: int) -> int:
    """The bomb's cost: 1 per selection of the expansion (the spreads and the leaves)."""
    cost = 1  # F0: __typename
    for _ in range(levels):
        cost = 10 * (1 + cost)
    return 1 + cost  # the query's spread


@pytest.mark.parametrize("levels", [3, 6, 9])
def test_a_spread_bomb_is_measured_in_linear_work(levels: int) -> None:
    # Before: the cost walked every expanded spread again: 2111 / 2111111 / 2111111111
    # selections visited (the last about 40 minutes on the event loop). Now each fragment
    # is walked twice (its spreads, then its measure): 63 / 123 / 183.
    document = parse(spread_bomb(levels))
    operation = get_operation_ast(document)
    assert operation is not None
    assert selections(document) == 2 + 10 * levels
    shape = DocumentShape(document)
    assert shape.of(operation) == Shape(depth=1, aliases=0, directives=0)
    estimate = CostEstimate(SCHEMA, document, {})
    assert estimate.of(operation) == expanded_cost(levels)
    bound = 2 * selections(document)
    assert shape.visited <= bound and estimate.visited <= bound
    assert estimate.visited == 2 * selections(document) - 1  # the operation walked once


@pytest.mark.parametrize("levels", [3, 6, 9])
def test_a_spread_bomb_is_refused_with_its_cost(levels: int) -> None:
    document = parse(spread_bomb(levels))
    operation = get_operation_ast(document)
    assert operation is not None
    assert check_shape(document, OperationLimits()) == []  # within depth and aliases
    [error] = check_cost(SCHEMA, document, operation, {}, LIMITS)
    assert error.extensions == {"code": "MAX_COST_LIMIT"}
    assert error.message.startswith(f"Query cost {expanded_cost(levels)} exceeds the limit of 1000")


def test_a_cost_beyond_the_ceiling_saturates() -> None:
    # 10^30 expanded spreads: the cost stops growing at the ceiling, and says so.
    document = parse(spread_bomb(30))
    operation = get_operation_ast(document)
    assert operation is not None
    assert estimate_cost(SCHEMA, document, operation, {}) == COST_CEILING
    [error] = check_cost(SCHEMA, document, operation, {}, LIMITS)
    assert error.message.startswith(f"Query cost at least {COST_CEILING} exceeds")


CYCLES = {
    "self": "{ user { ...A } } fragment A on User { ...A name }",
    "direct": "{ user { ...A } } fragment A on User { friends { ...A } }",
    "indirect": (
        "{ user { ...A } } fragment A on User { friends { ...B } } "
        "fragment B on User { friends { ...C } } fragment C on User { name ...A }"
    ),
    "a bomb around a cycle": spread_bomb(9, leaf="...F9", on="User"),
}


@pytest.mark.parametrize("case", CYCLES)
def test_fragment_cycles_are_cut_in_linear_work(case: str) -> None:
    document = parse(CYCLES[case])
    operation = get_operation_ast(document)
    assert operation is not None
    shape = DocumentShape(document)
    shape.of(operation)
    estimate = CostEstimate(SCHEMA, document, {})
    estimate.of(operation)
    assert shape.visited <= 2 * selections(document)
    assert estimate.visited <= 2 * selections(document)
    assert codes(CYCLES[case], OperationLimits()) == []  # validation, next, reports the cycle


def test_a_long_fragment_chain_does_not_overflow_the_stack() -> None:
    # 600 fragments, each spreading the next: fits in 5000 tokens. Before: RecursionError
    # (a 500) in the shape check, which runs before validation.
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(599))
    document = parse(f"{{ ...F0 }} {chain} fragment F599 on Query {{ __typename }}")
    operation = get_operation_ast(document)
    assert operation is not None
    assert check_shape(document, OperationLimits()) == []
    shape = DocumentShape(document)
    assert shape.of(operation) == Shape(depth=1, aliases=0, directives=0)
    assert shape.visited == 2 * selections(document) - 1


def test_operations_share_the_fragments_measures() -> None:
    # Before: each of the 300 operations measured the 300-fragment chain again (90 000).
    operations = " ".join(f"query Q{i} {{ ...F0 }}" for i in range(300))
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(299))
    document = parse(f"{operations} {chain} fragment F299 on Query {{ __typename }}")
    shape = DocumentShape(document)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            shape.of(definition)
    assert shape.visited <= 2 * selections(document)


EXPANSIONS = {
    "a page of size 0": (
        "{ incidents(pagination: {first: 0}) { edges { node { ...F9 } } } }",
        "Incident",
        "title",
    ),
    "empty fragments": ("{ ...F9 }", "Query", ""),
    "introspection": ("{ __schema { types { ...F9 } } }", "__Type", "name"),
}


@pytest.mark.parametrize("case", EXPANSIONS)
def test_the_cost_bounds_the_expansion_normalisation_makes(case: str) -> None:
    # Before: each cost 1 to 2 (a zero page, nothing, introspection), and normalisation
    # then expanded 10^9 spreads.
    root, on, leaf = EXPANSIONS[case]
    fragments = [f"fragment F0 on {on} {{ {leaf} }}"] + [
        f"fragment F{i} on {on} {{ {' '.join([f'...F{i - 1}'] * 10)} }}" for i in range(1, 10)
    ]
    document = parse(f"{root} {' '.join(fragments)}")
    operation = get_operation_ast(document)
    assert operation is not None
    assert estimate_cost(SCHEMA, document, operation, {}) > 10**9


@pytest.mark.parametrize(
    "query",
    [
        "{ user { ...U friends { ... on User { name } } } } fragment U on User { name }",
        "{ incidents(pagination: {first: 0}) { edges { node { title comments { body } } } } }",
        "{ __schema { types { name fields { name type { name ofType { name } } } } } }",
        spread_bomb(3),
    ],
)
def test_the_cost_is_never_below_the_normalised_size(query: str) -> None:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    normalised = normalize(SCHEMA, document, operation)
    assert estimate_cost(SCHEMA, document, operation, {}) >= size_of(normalised.selections)


def size_of(selections: tuple[Selection, ...]) -> int:
    return sum(1 + size_of(s.selections) for s in selections)


# Variables: nesting and size are checked before anything walks them.


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_variables_are_refused() -> None:
    [error] = check_variables({"v": nested(300)}, OperationLimits())
    assert error.extensions == {"code": "MAX_VARIABLE_DEPTH_LIMIT"}
    assert error.message == "Variables nest 300 levels deep; the limit is 20"
    assert check_variables({"v": nested(20), "w": {"a": [1, {"b": None}]}}, OperationLimits()) == []


def test_huge_variables_are_refused_after_counting_to_the_limit() -> None:
    huge = {"ids": ["x"] * 1_000_000, "more": {str(i): i for i in range(1000)}}
    assert variable_shape(huge, stop_after=10_000) == VariableShape(depth=1, values=10_001)
    [error] = check_variables(huge, OperationLimits())
    assert error.extensions == {"code": "MAX_VARIABLE_VALUES_LIMIT"}
    assert error.message == "Variables hold more than 10000 values; the limit is 10000"
