"""``@external``: on a whole type (Federation 2), on fields read by ``@requires`` and
``@provides``, on fields that only satisfy an interface, and unused (refused)."""

from __future__ import annotations

from typing import Any

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides"])'
)

PRODUCTS = [
    {"id": "1", "name": "Table", "dims": {"size": 3, "weight": 20}},
    {"id": "2", "name": "Lamp", "dims": {"size": 1, "weight": 2}},
]


def _cost(product: dict[str, Any]) -> int:
    return int(product["dims"]["size"]) * 10 + int(product["dims"]["weight"])


OWNER = Subgraph(
    sdl=f"""
    extend schema {FED2}
    type Query {{ products: [Product!]! }}
    type Product @key(fields: "id") {{ id: ID! name: String! dims: Dims! }}
    type Dims @shareable {{ size: Int! weight: Int! }}
    """,
    data={"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
)

CASES = [
    Case(
        name="external_on_a_value_type_read_by_requires",
        feature="external",
        subgraphs={
            "products": OWNER,
            "shipping": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "id") {{
                  id: ID!
                  dims: Dims! @external
                  cost: Int! @requires(fields: "dims {{ size weight }}")
                }}
                type Dims @external {{ size: Int! weight: Int! }}
                """,
                resolvers={"Product.cost": _cost},
            ),
        },
        queries=(
            "{ products { name cost } }",
            "{ products { cost dims { size } } }",
        ),
    ),
    Case(
        name="external_on_a_type_read_by_provides",
        feature="external",
        subgraphs={
            "products": OWNER,
            "deals": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ deal: Deal! }}
                type Deal {{
                  title: String!
                  product: Product! @provides(fields: "name dims {{ size }}")
                }}
                type Product @key(fields: "id") {{
                  id: ID! name: String! @external dims: Dims! @external
                }}
                type Dims @external {{ size: Int! weight: Int! }}
                """,
                data={
                    "Query": {
                        "deal": {
                            "title": "Half price",
                            "product": {"id": "1", "name": "Deal table", "dims": {"size": 3}},
                        }
                    }
                },
            ),
        },
        queries=(
            "{ deal { title product { name dims { size } } } }",
            "{ deal { product { dims { size weight } } } }",
        ),
    ),
    Case(
        name="external_field_that_satisfies_an_interface",
        feature="external",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                interface Named {{ name: String! }}
                type Product implements Named @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
            ),
            "tags": Subgraph(
                sdl=f"""
                extend schema {FED2}
                interface Named {{ name: String! }}
                type Product implements Named @key(fields: "id") {{
                  id: ID! name: String! @external tag: String!
                }}
                """,
                resolvers={"Product.tag": lambda product: f"#{product['id']}"},
            ),
        },
        queries=("{ products { name tag } }",),
    ),
    Case(
        name="external_unused_is_refused",
        feature="external",
        subgraphs={
            "products": OWNER,
            "shipping": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "id") {{ id: ID! name: String! @external eta: Int }}
                """,
            ),
        },
        queries=("{ products { name eta } }",),
    ),
]

CASES.extend(
    [
        Case(
            name="external_on_an_interface_field_is_refused",
            feature="external",
            subgraphs={
                "products": OWNER,
                "named": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Query {{ named: [Named!]! }}
                    interface Named {{ name: String! @external }}
                    type Product implements Named @key(fields: "id") {{ id: ID! name: String! }}
                    """,
                ),
            },
            queries=("{ named { name } }",),
        ),
        Case(
            name="external_requires_on_an_interface_field_is_refused",
            feature="external",
            subgraphs={
                "products": OWNER,
                "named": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Query {{ named: [Named!]! }}
                    interface Named {{ name: String! label: String! @requires(fields: "name") }}
                    type Product implements Named @key(fields: "id") {{
                      id: ID! name: String! @external label: String! @requires(fields: "name")
                    }}
                    """,
                ),
            },
            queries=("{ named { label } }",),
        ),
    ]
)

CASES.append(
    Case(
        name="external_on_an_entity_type_it_returns_is_refused",
        feature="external",
        subgraphs={
            "products": OWNER,
            "deals": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ deal: Product @provides(fields: "name") }}
                type Product @key(fields: "id") @external {{ id: ID! name: String! }}
                """,
                data={"Query": {"deal": {"id": "1", "name": "Deal table"}}},
            ),
        },
        queries=("{ deal { id name } }",),
    )
)
