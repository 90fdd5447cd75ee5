"""``@cost``/``@listSize``: merged over subgraphs as Apollo merges them, printed into the
supergraph SDL, and read by the router's cost estimate."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse

from router.composition import (
    CompositionError,
    SubgraphSource,
    Supergraph,
    compose,
    print_supergraph,
)
from router.composition.cost_directives import ListSize
from router.composition.supergraph_reader import read_supergraph
from router.limits import estimate_cost

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: '
    '["@key", "@shareable", "@cost", "@listSize"])\n'
)
SOURCES = [
    SubgraphSource(
        "catalog",
        LINK
        + """
        type Query {
          items(first: Int, filter: String @cost(weight: 4)): [Item!]!
            @listSize(slicingArguments: ["first"], assumedSize: 50)
          featured: [Item!]! @listSize(assumedSize: 3)
          page: ItemPage @listSize(assumedSize: 20, sizedFields: ["items"])
        }
        type ItemPage { items: [Item!]! total: Int }
        type Item @key(fields: "id") @cost(weight: 2) {
          id: ID!
          name: String @shareable @cost(weight: 1)
        }
        """,
    ),
    SubgraphSource(
        "search",
        LINK
        + """
        type Item @key(fields: "id") {
          id: ID!
          name: String @shareable @cost(weight: 7)
          related: [Item!]! @listSize(assumedSize: 4, requireOneSlicingArgument: false)
        }
        """,
    ),
]


def supergraph() -> Supergraph:
    return compose(SOURCES)


def cost(query: str, variables: dict[str, object] | None = None) -> int:
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    composed = supergraph()
    return estimate_cost(composed.schema, document, operation, variables or {}, composed.cost)


def test_weights_take_the_highest_declaration_and_list_sizes_merge() -> None:
    hints = supergraph().cost

    assert hints.weights == {
        "Item": 2,
        "Item.name": 7,
        "Query.items(filter:)": 4,
    }
    assert hints.list_sizes["Query.items"] == ListSize(50, ("first",))
    assert hints.list_sizes["Item.related"] == ListSize(4, (), (), False)


def test_the_supergraph_links_the_cost_spec_as_apollo_does() -> None:
    sdl = print_supergraph(supergraph())

    assert '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])' in sdl
    assert "directive @cost(weight: Int!) on ARGUMENT_DEFINITION" in sdl
    assert "directive @listSize(assumedSize: Int, slicingArguments: [String!]" in sdl
    assert '@listSize(assumedSize: 50, slicingArguments: ["first"])' in sdl
    assert "filter: String @cost(weight: 4)" in sdl
    assert "@listSize(assumedSize: 4, requireOneSlicingArgument: false)" in sdl


def test_a_slicing_argument_sizes_the_list_and_weights_replace_the_ones() -> None:
    # items: weight of Item (2) + 5 items x (id 1 + name 7).
    assert cost("{ items(first: 5) { id name } }") == 2 + 5 * (1 + 7)
    assert cost("query($n: Int) { items(first: $n) { id } }", {"n": 2}) == 2 + 2 * 1


def test_without_its_slicing_argument_a_list_has_its_assumed_size() -> None:
    assert cost("{ items { id } }") == 2 + 50 * 1
    assert cost("{ featured { id related { id } } }") == 2 + 3 * (1 + 2 + 4 * 1)


def test_sized_fields_take_the_size_instead_of_the_field() -> None:
    # page 1, once; total 1; items: Item's weight 2 + 20 (the page's assumed size) x id 1.
    assert cost("{ page { total items { id } } }") == 1 + (1 + (2 + 20 * 1))


def test_the_weight_of_a_given_argument_is_added() -> None:
    assert cost('{ items(first: 1, filter: "x") { id } }') == 2 + 4 + 1


def refusals(sdl: str) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose([SubgraphSource("a", LINK + sdl)])
    return [(issue.code, issue.message) for issue in raised.value.issues]


@pytest.mark.parametrize(
    ("sdl", "expected"),
    [
        (
            "type Query { one: Int @listSize(assumedSize: 3) }",
            [("LIST_SIZE_APPLIED_TO_NON_LIST", '[a] "Query.one" is not a list')],
        ),
        (
            'type Query { many(first: Int): [Int] @listSize(slicingArguments: ["last"]) }',
            [
                (
                    "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                    '[a] Slicing argument "last" is not an argument of "Query.many"',
                )
            ],
        ),
        (
            'type Query { page(first: Int): Page @listSize(slicingArguments: ["first"], '
            'sizedFields: ["nodes", "total"]) } type Page { items: [Int] total: Int }',
            [
                (
                    "LIST_SIZE_INVALID_SIZED_FIELD",
                    '[a] Sized field "nodes" is not a field on type "Page"',
                ),
                ("LIST_SIZE_APPLIED_TO_NON_LIST", '[a] Sized field "Page.total" is not a list'),
            ],
        ),
        (
            "type Query { n: Node } interface Node { id: ID! @cost(weight: 3) } "
            "type T implements Node { id: ID! }",
            [
                (
                    "COST_APPLIED_TO_INTERFACE_FIELD",
                    '[a] @cost cannot be applied to interface "Node.id"',
                )
            ],
        ),
    ],
)
def test_misplaced_cost_directives_are_refused_as_apollo_refuses_them(
    sdl: str, expected: list[tuple[str, str]]
) -> None:
    assert refusals(sdl) == expected


def test_a_supergraph_file_read_back_keeps_its_cost_hints() -> None:
    composed = supergraph()

    assert read_supergraph(print_supergraph(composed)).cost == composed.cost
