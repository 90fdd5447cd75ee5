"""``@requires``: nested selections, inline fragments on abstract types, field arguments,
chains of requiring fields, and a requiring field whose parent comes from its own subgraph."""

from __future__ import annotations

from typing import Any

from tests.federation_corpus.case import Case, Query, Subgraph

FED2 = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@requires"])'
)

PACKAGE_FIELDS = "package { ... on Box { volume } ... on Envelope { thickness } }"

PRODUCTS = [
    {"upc": "1", "name": "Table", "dimensions": {"size": 3, "weight": 20}, "cents": 1000},
    {"upc": "2", "name": "Lamp", "dimensions": {"size": 1, "weight": 2}, "cents": 250},
    {"upc": "3", "name": "Ghost", "dimensions": None, "cents": 0},
]


def _shipping_cost(product: dict[str, Any]) -> int | None:
    dimensions = product["dimensions"]
    if dimensions is None:
        return None
    return int(dimensions["size"]) * 10 + int(dimensions["weight"])


def _price(product: dict[str, Any], currency: str) -> int:
    return int(product["cents"]) * (2 if currency == "EUR" else 3)


def _delivery(parcel: dict[str, Any]) -> str:
    package = parcel["package"]  # as the gateway sends it: no __typename, only what applies
    if "volume" in package:
        return f"truck for {package['volume']} l"
    return f"letter {package['thickness']} mm"


def _keywords(incident: dict[str, Any]) -> list[str]:
    return [word.lower() for word in str(incident["title"]).split()]


def _suggestions(incident: dict[str, Any]) -> list[str]:
    return [f"KB about {word}" for word in incident["keywords"] if len(word) > 3]


ARGUMENTS_SUBGRAPHS = {
    "catalog": Subgraph(
        sdl=f"""
        extend schema {FED2}
        type Query {{ products: [Product!]! }}
        type Product @key(fields: "upc") {{
          upc: String! name: String! price(currency: String!): Int!
        }}
        """,
        data={"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
        resolvers={"Product.price": _price},
    ),
    "labels": Subgraph(
        sdl=f"""
        extend schema {FED2}
        type Product @key(fields: "upc") {{
          upc: String!
          price(currency: String!): Int! @external
          priceTag: String! @requires(fields: "price(currency: \\"EUR\\")")
        }}
        """,
        resolvers={"Product.priceTag": lambda product: f"EUR {product['price']}"},
    ),
}

CASES = [
    Case(
        name="requires_nested_selection",
        feature="requires",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{
                  upc: String! name: String! dimensions: Dimensions
                }}
                type Dimensions @shareable {{ size: Int! weight: Int! }}
                """,
                data={"Query": {"products": PRODUCTS}, "entities": {"Product": PRODUCTS}},
            ),
            "shipping": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String!
                  dimensions: Dimensions @external
                  shippingCost: Int @requires(fields: "dimensions {{ size weight }}")
                }}
                type Dimensions @shareable {{ size: Int! weight: Int! }}
                """,
                resolvers={"Product.shippingCost": _shipping_cost},
            ),
        },
        queries=(
            "{ products { name shippingCost } }",
            "{ products { dimensions { size } cost: shippingCost } }",
            "{ products { shippingCost dimensions { weight size } } }",
        ),
    ),
    Case(
        name="requires_inline_fragments_on_an_interface",
        feature="requires",
        subgraphs={
            "parcels": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ parcels: [Parcel!]! }}
                type Parcel @key(fields: "id") {{ id: ID! package: Package! }}
                interface Package {{ label: String! }}
                type Box implements Package @shareable {{ label: String! volume: Int! }}
                type Envelope implements Package @shareable {{ label: String! thickness: Int! }}
                """,
                data={
                    "Query": {
                        "parcels": [
                            {
                                "id": "p1",
                                "package": {"__typename": "Box", "label": "B", "volume": 40},
                            },
                            {
                                "id": "p2",
                                "package": {
                                    "__typename": "Envelope",
                                    "label": "E",
                                    "thickness": 2,
                                },
                            },
                        ]
                    }
                },
            ),
            "delivery": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Parcel @key(fields: "id") {{
                  id: ID!
                  package: Package! @external
                  delivery: String!
                    @requires(fields: "{PACKAGE_FIELDS}")
                }}
                interface Package {{ label: String! }}
                type Box implements Package @shareable {{ label: String! volume: Int! }}
                type Envelope implements Package @shareable {{ label: String! thickness: Int! }}
                """,
                resolvers={"Parcel.delivery": _delivery},
            ),
        },
        queries=(
            "{ parcels { id delivery } }",
            "{ parcels { delivery package { __typename label ... on Box { volume } } } }",
        ),
    ),
    Case(
        name="requires_a_field_with_arguments",
        feature="requires",
        subgraphs=ARGUMENTS_SUBGRAPHS,
        queries=(
            "{ products { name priceTag } }",
            '{ products { priceTag eur: price(currency: "EUR") price(currency: "EUR") } }',
        ),
    ),
    Case(
        name="requires_a_field_with_other_arguments_than_the_client",
        feature="requires",
        subgraphs=ARGUMENTS_SUBGRAPHS,
        queries=('{ products { price(currency: "USD") priceTag } }',),
        difference=(
            '@apollo/gateway fetches the required price(currency: "EUR") and the client\'s '
            'price(currency: "USD") under one response key and sends the USD value as the '
            "requirement (priceTag 'EUR 3000'); we fetch the requirement under its own alias "
            "and send the EUR value"
        ),
    ),
    Case(
        name="requires_chain_of_requiring_fields",
        feature="requires",
        subgraphs={
            "incidents": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ incidents: [Incident!]! }}
                type Incident @key(fields: "id") {{ id: ID! title: String! }}
                """,
                data={
                    "Query": {
                        "incidents": [
                            {"id": "1", "title": "Printer jammed again"},
                            {"id": "2", "title": "VPN down"},
                        ]
                    }
                },
            ),
            "analysis": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Incident @key(fields: "id") {{
                  id: ID!
                  title: String! @external
                  keywords: [String!]! @requires(fields: "title")
                }}
                """,
                resolvers={"Incident.keywords": _keywords},
            ),
            "knowledge": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Incident @key(fields: "id") {{
                  id: ID!
                  keywords: [String!]! @external
                  suggestedArticles: [String!]! @requires(fields: "keywords")
                }}
                """,
                resolvers={"Incident.suggestedArticles": _suggestions},
            ),
        },
        queries=(
            "{ incidents { id suggestedArticles } }",
            "{ incidents { suggestedArticles keywords title } }",
            "{ incidents { a: suggestedArticles b: keywords } }",
        ),
    ),
    Case(
        name="requires_in_the_subgraph_of_the_parent",
        feature="requires",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{
                  upc: String!
                  name: String!
                  weight: Int @external
                  shippingEstimate: Int @requires(fields: "weight")
                }}
                """,
                data={
                    "Query": {
                        "products": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Lamp"}]
                    }
                },
                resolvers={
                    "Product.shippingEstimate": lambda product: (
                        None if product.get("weight") is None else product["weight"] * 3
                    )
                },
            ),
            "warehouse": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int }}
                """,
                data={
                    "entities": {"Product": [{"upc": "1", "weight": 20}, {"upc": "2", "weight": 2}]}
                },
            ),
        },
        queries=(
            "{ products { name shippingEstimate } }",
            "{ products { shippingEstimate weight } }",
        ),
    ),
    Case(
        name="requires_chain_through_the_parent_subgraph",
        feature="requires",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{
                  upc: String!
                  weight: Int @external
                  shipping: Int @requires(fields: "weight")
                }}
                """,
                data={"Query": {"products": [{"upc": "1"}, {"upc": "2"}]}},
                resolvers={"Product.shipping": lambda product: product["weight"] * 3},
            ),
            "warehouse": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int }}
                """,
                data={
                    "entities": {"Product": [{"upc": "1", "weight": 20}, {"upc": "2", "weight": 2}]}
                },
            ),
            "billing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String!
                  shipping: Int @external
                  total: Int @requires(fields: "shipping")
                }}
                """,
                resolvers={"Product.total": lambda product: product["shipping"] + 100},
            ),
        },
        queries=(
            "{ products { upc total } }",
            "{ products { total shipping weight } }",
        ),
        difference=(
            "@apollo/gateway selects Product.shipping in shop's root fetch, without the weight "
            "its @requires needs, so total gets no shipping (errors, total null); we fetch "
            "weight from warehouse, then shipping from shop, then total from billing"
        ),
    ),
]

REVIEWED = [{"upc": "1"}, {"upc": "2"}]

CASES.append(
    Case(
        name="requires_below_an_entity_reached_from_a_third_subgraph",
        feature="requires",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String! name: String! dimensions: Dimensions
                }}
                type Dimensions @shareable {{ size: Int! weight: Int! }}
                """,
                data={"entities": {"Product": PRODUCTS}},
            ),
            "shipping": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String!
                  dimensions: Dimensions @external
                  shippingCost: Int @requires(fields: "dimensions {{ size weight }}")
                }}
                type Dimensions @shareable {{ size: Int! weight: Int! }}
                """,
                resolvers={"Product.shippingCost": _shipping_cost},
            ),
            "reviews": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ reviews: [Review!]! }}
                type Review {{ body: String! product: Product! }}
                type Product @key(fields: "upc") {{ upc: String! }}
                """,
                data={
                    "Query": {
                        "reviews": [
                            {"body": "Sturdy", "product": REVIEWED[0]},
                            {"body": "Bright", "product": REVIEWED[1]},
                            {"body": "Sturdy again", "product": REVIEWED[0]},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ reviews { body product { shippingCost } } }",
            "{ reviews { product { name shippingCost dimensions { weight } } } }",
            Query(
                "query ($with: Boolean!) { reviews { product { shippingCost @include(if: $with) "
                "name } } }",
                {"with": False},
            ),
            Query(
                "query ($with: Boolean!) { reviews { product { shippingCost @include(if: $with) "
                "} } }",
                {"with": True},
            ),
        ),
    )
)

FED2_PROVIDES = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides"])'
)

CASES.append(
    Case(
        name="requires_met_by_a_provides_of_the_same_subgraph",
        feature="requires",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2_PROVIDES}
                type Query {{
                  cheap: [Product!]! @provides(fields: "weight")
                  all: [Product!]!
                }}
                type Product @key(fields: "upc") {{
                  upc: String!
                  weight: Int @external
                  shipping: Int @requires(fields: "weight")
                }}
                """,
                data={
                    "Query": {
                        "cheap": [{"upc": "1", "weight": 7}],
                        "all": [{"upc": "1"}, {"upc": "2"}],
                    }
                },
                resolvers={
                    "Product.shipping": lambda product: (
                        None if product.get("weight") is None else product["weight"] * 3
                    )
                },
            ),
            "warehouse": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int @shareable }}
                """,
                data={
                    "entities": {"Product": [{"upc": "1", "weight": 20}, {"upc": "2", "weight": 2}]}
                },
            ),
        },
        queries=(
            "{ cheap { shipping } }",
            "{ all { shipping } }",
            "{ cheap { weight shipping } all { weight shipping } }",
        ),
    )
)

CASES.extend(
    [
        Case(
            name="requires_an_unknown_nested_field_is_refused",
            feature="requires",
            subgraphs={
                "products": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Query {{ products: [Product!]! }}
                    type Product @key(fields: "upc") {{ upc: String! dimensions: Dimensions }}
                    type Dimensions @shareable {{ size: Int! weight: Int! }}
                    """,
                    data={"Query": {"products": PRODUCTS}},
                ),
                "shipping": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Product @key(fields: "upc") {{
                      upc: String!
                      dimensions: Dimensions @external
                      shippingCost: Int @requires(fields: "dimensions {{ depth }}")
                    }}
                    type Dimensions @shareable {{ size: Int! weight: Int! }}
                    """,
                ),
            },
            queries=("{ products { shippingCost } }",),
        ),
        Case(
            name="requires_a_field_that_is_not_external_is_refused",
            feature="requires",
            subgraphs={
                "shop": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Query {{ products: [Product!]! }}
                    type Product @key(fields: "upc") {{
                      upc: String! weight: Int @shareable shipping: Int @requires(fields: "weight")
                    }}
                    """,
                    data={"Query": {"products": [{"upc": "1", "weight": 1}]}},
                ),
                "warehouse": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Product @key(fields: "upc") {{ upc: String! weight: Int @shareable }}
                    """,
                ),
            },
            queries=("{ products { shipping } }",),
        ),
    ]
)

CHANGES = {"ci1": ["CHG-1"], "ci2": ["CHG-2", "CHG-3"]}
ITEMS = [{"id": "ci1", "name": "db"}, {"id": "ci2", "name": "web"}]

CASES.append(
    Case(
        name="requires_a_list_of_entity_references",
        feature="requires",
        subgraphs={
            "incidents": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ incidents: [Incident!]! }}
                type Incident @key(fields: "id") {{ id: ID! title: String! }}
                """,
                data={
                    "Query": {
                        "incidents": [{"id": "1", "title": "Outage"}, {"id": "2", "title": "Slow"}]
                    }
                },
            ),
            "cmdb": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Incident @key(fields: "id") {{ id: ID! affectedItems: [Item!]! }}
                type Item @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={
                    "entities": {
                        "Incident": [
                            {"id": "1", "affectedItems": ITEMS},
                            {"id": "2", "affectedItems": []},
                        ],
                        "Item": ITEMS,
                    }
                },
            ),
            "changes": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Incident @key(fields: "id") {{
                  id: ID!
                  affectedItems: [Item!]! @external
                  recentChanges: [String!]! @requires(fields: "affectedItems {{ id }}")
                }}
                type Item @key(fields: "id", resolvable: false) {{ id: ID! }}
                """,
                resolvers={
                    "Incident.recentChanges": lambda incident: [
                        change
                        for item in incident["affectedItems"]
                        for change in CHANGES[item["id"]]
                    ]
                },
            ),
        },
        queries=(
            "{ incidents { title recentChanges } }",
            "{ incidents { recentChanges affectedItems { name } } }",
        ),
    )
)

CASES.append(
    Case(
        name="requires_read_from_a_provides_of_the_parent_fetch",
        feature="requires",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2_PROVIDES}
                type Query {{ deals: [Product!]! @provides(fields: "weight") }}
                type Product @key(fields: "upc") {{ upc: String! weight: Int @external }}
                """,
                # The provided weight differs from the owner's: the answer tells which was read.
                data={"Query": {"deals": [{"upc": "1", "weight": 7}]}},
            ),
            "warehouse": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int @shareable }}
                """,
                data={"entities": {"Product": [{"upc": "1", "weight": 20}]}},
            ),
            "billing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String! weight: Int @external shipping: Int @requires(fields: "weight")
                }}
                """,
                resolvers={"Product.shipping": lambda product: product["weight"] * 3},
            ),
        },
        queries=("{ deals { shipping } }", "{ deals { weight shipping } }"),
    )
)


def _weight(product: dict[str, Any]) -> int:
    if product["upc"] == "2":
        raise ValueError("scale offline")
    return 20


CASES.append(
    Case(
        name="requires_after_an_error_in_the_required_field",
        feature="requires",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: String! name: String! }}
                """,
                data={
                    "Query": {
                        "products": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Lamp"}]
                    }
                },
            ),
            "warehouse": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int }}
                """,
                resolvers={"Product.weight": _weight},
            ),
            "billing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String! weight: Int @external
                  shipping: Int @requires(fields: "weight")
                }}
                """,
                resolvers={
                    "Product.shipping": lambda product: (
                        -1 if product["weight"] is None else product["weight"] * 3
                    )
                },
            ),
        },
        queries=(
            "{ products { name shipping } }",
            "{ products { weight shipping } }",
        ),
    )
)

CASES.append(
    Case(
        name="requires_two_fields_reading_different_parts_of_one_value",
        feature="requires",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: String! dimensions: Dimensions }}
                type Dimensions @shareable {{ size: Int! weight: Int! }}
                """,
                data={"Query": {"products": PRODUCTS[:2]}},
            ),
            "labels": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{
                  upc: String!
                  dimensions: Dimensions @external
                  sizeLabel: String! @requires(fields: "dimensions {{ size }}")
                  weightLabel: String! @requires(fields: "dimensions {{ weight }}")
                }}
                type Dimensions @shareable {{ size: Int! weight: Int! }}
                """,
                resolvers={
                    "Product.sizeLabel": lambda p: f"size {p['dimensions']['size']}",
                    "Product.weightLabel": lambda p: f"{p['dimensions']['weight']} kg",
                },
            ),
        },
        queries=(
            "{ products { sizeLabel weightLabel } }",
            "{ products { weightLabel dimensions { size } sizeLabel } }",
        ),
    )
)

CASES.append(
    Case(
        name="requires_in_the_parent_subgraph_or_shared_without_requirements",
        feature="requires",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{
                  upc: String!
                  weight: Int @external
                  shipping: Int @shareable @requires(fields: "weight")
                }}
                """,
                data={"Query": {"products": [{"upc": "1"}, {"upc": "2"}]}},
                resolvers={"Product.shipping": lambda product: product["weight"] * 3},
            ),
            "warehouse": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int }}
                """,
                data={
                    "entities": {"Product": [{"upc": "1", "weight": 20}, {"upc": "2", "weight": 2}]}
                },
            ),
            "quotes": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! shipping: Int @shareable }}
                """,
                data={
                    "entities": {
                        "Product": [{"upc": "1", "shipping": 60}, {"upc": "2", "shipping": 6}]
                    }
                },
            ),
        },
        queries=("{ products { upc shipping } }", "{ products { weight shipping } }"),
    )
)
