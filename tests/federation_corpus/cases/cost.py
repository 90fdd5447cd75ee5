"""``@cost``/``@listSize`` (Federation 2.9): demand-control hints carried into the supergraph.

They never change an answer; both composers keep them, and refuse them out of place alike
(non-list fields, unknown slicing arguments or sized fields, interface fields).
"""

from tests.federation_corpus.case import Case, Subgraph

FED29 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
    'import: ["@key", "@shareable", "@cost", "@listSize"])'
)

ITEMS = [{"id": str(n), "name": f"item {n}", "tags": ["a", "b"]} for n in range(1, 4)]

CASES = [
    Case(
        name="cost_weights_and_list_sizes_compose",
        feature="cost",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED29}
                type Query {{
                  items(first: Int, filter: String @cost(weight: 4)): [Item!]!
                    @listSize(slicingArguments: ["first"], assumedSize: 50)
                  page: ItemPage @listSize(assumedSize: 20, sizedFields: ["items"])
                }}
                type ItemPage {{ items: [Item!]! total: Int }}
                type Item @key(fields: "id") @cost(weight: 2) {{
                  id: ID!
                  name: String @shareable @cost(weight: 1)
                }}
                """,
                data={"Query": {"items": ITEMS, "page": {"items": ITEMS[:1], "total": 3}}},
            ),
            "search": Subgraph(
                sdl=f"""
                {FED29}
                type Item @key(fields: "id") {{
                  id: ID!
                  name: String @shareable @cost(weight: 7)
                  tags: [String!]! @listSize(assumedSize: 4)
                }}
                """,
                data={"entities": {"Item": ITEMS}},
            ),
        },
        queries=(
            '{ items(first: 2, filter: "x") { id name tags } }',
            "{ page { total items { id tags } } }",
        ),
    ),
    Case(
        name="cost_list_size_on_a_non_list_field",
        feature="cost",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED29}
                type Query {{ count: Int @listSize(assumedSize: 3) }}
                """,
                data={"Query": {"count": 3}},
            ),
        },
        queries=("{ count }",),
    ),
    Case(
        name="cost_list_size_slicing_an_unknown_argument",
        feature="cost",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED29}
                type Query {{ names(first: Int): [String!]! @listSize(slicingArguments: ["last"]) }}
                """,
                data={"Query": {"names": ["a"]}},
            ),
        },
        queries=("{ names(first: 1) }",),
    ),
    Case(
        name="cost_weight_on_an_interface_field",
        feature="cost",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED29}
                type Query {{ nodes: [Node!]! }}
                interface Node {{ id: ID! @cost(weight: 3) }}
                type Item implements Node @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"nodes": [{"__typename": "Item", "id": "1"}]}},
            ),
        },
        queries=("{ nodes { id } }",),
    ),
]
