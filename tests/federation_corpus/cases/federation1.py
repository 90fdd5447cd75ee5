"""Federation 1 subgraphs (no ``@link``), alone and beside Federation 2 ones.

Apollo upgrades such a subgraph before merging it: ``extend type`` / ``@extends`` entities
resolve the ``@external`` key fields they declare, value types and entity fields resolved by
several subgraphs are implicitly ``@shareable``, unused ``@external`` fields disappear, and an
extension needs a base definition somewhere.
"""

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides"])'
)

_PRODUCTS = [
    {"upc": "1", "name": "Table", "weight": 10},
    {"upc": "2", "name": "Chair", "weight": 3},
]

CASES = [
    Case(
        name="federation1_extend_type_entity",
        feature="federation1",
        subgraphs={
            "products": Subgraph(
                sdl="""
                type Query { products: [Product!]! }
                type Product @key(fields: "upc") { upc: String! name: String! }
                """,
                data={"Query": {"products": _PRODUCTS}, "entities": {"Product": _PRODUCTS}},
            ),
            "reviews": Subgraph(
                sdl="""
                extend type Query { topReview: Review }
                extend type Product @key(fields: "upc") {
                  upc: String! @external
                  reviews: [Review!]!
                }
                type Review { body: String! product: Product! }
                """,
                data={
                    "Query": {"topReview": {"body": "Sturdy", "product": {"upc": "1"}}},
                    "entities": {
                        "Product": [
                            {"upc": "1", "reviews": [{"body": "Sturdy", "product": {"upc": "1"}}]},
                            {"upc": "2", "reviews": []},
                        ]
                    },
                },
            ),
        },
        queries=(
            "{ products { upc name reviews { body } } }",
            "{ topReview { body product { upc name } } }",
            "{ topReview { product { reviews { product { name } } } } }",
        ),
    ),
    Case(
        name="federation1_extends_directive_and_query_extensions",
        feature="federation1",
        subgraphs={
            "accounts": Subgraph(
                sdl="""
                extend type Query { me: User }
                type User @key(fields: "id") { id: ID! username: String }
                """,
                data={
                    "Query": {"me": {"id": "u1", "username": "ada"}},
                    "entities": {"User": [{"id": "u1", "username": "ada"}]},
                },
            ),
            "orders": Subgraph(
                sdl="""
                extend type Query { recentOrders: [Order] }
                type User @key(fields: "id") @extends {
                  id: ID! @external
                  orders: [Order]
                }
                type Order { number: Int buyer: User }
                """,
                data={
                    "Query": {"recentOrders": [{"number": 7, "buyer": {"id": "u1"}}]},
                    "entities": {"User": [{"id": "u1", "orders": [{"number": 7}]}]},
                },
            ),
        },
        queries=(
            "{ me { username orders { number } } }",
            "{ recentOrders { number buyer { id username } } }",
            "query Q { me { __typename id ...F } } fragment F on User { orders { number } }",
        ),
    ),
    Case(
        name="federation1_value_types_and_root_fields_shared",
        feature="federation1",
        subgraphs={
            "a": Subgraph(
                sdl="""
                type Query { price: Money status: String }
                type Money { amount: Int currency: String }
                """,
                data={"Query": {"price": {"amount": 5, "currency": "EUR"}, "status": "ok"}},
            ),
            "b": Subgraph(
                sdl="""
                type Query { discount: Money status: String }
                type Money { amount: Int currency: String }
                """,
                data={"Query": {"discount": {"amount": 1, "currency": "EUR"}, "status": "ok"}},
            ),
        },
        queries=(
            "{ price { amount currency } discount { amount } }",
            "{ status }",
            "{ status price { __typename amount } }",
        ),
    ),
    Case(
        name="federation1_mixed_with_federation2",
        feature="federation1",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: String! name: String! price: Money }}
                type Money @shareable {{ amount: Int currency: String }}
                """,
                data={
                    "Query": {
                        "products": [
                            {
                                "upc": "1",
                                "name": "Table",
                                "price": {"amount": 90, "currency": "EUR"},
                            },
                            {"upc": "2", "name": "Chair", "price": None},
                        ]
                    },
                    "entities": {
                        "Product": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Chair"}]
                    },
                },
            ),
            "stock": Subgraph(
                sdl="""
                extend type Product @key(fields: "upc") {
                  upc: String! @external
                  inStock: Boolean
                  restockCost: Money
                }
                type Money { amount: Int currency: String }
                """,
                data={
                    "entities": {
                        "Product": [
                            {
                                "upc": "1",
                                "inStock": True,
                                "restockCost": {"amount": 40, "currency": "EUR"},
                            },
                            {"upc": "2", "inStock": False, "restockCost": None},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ products { name inStock restockCost { amount currency } price { amount } } }",
            "{ products { upc inStock } }",
        ),
    ),
    Case(
        name="federation1_requires_and_provides",
        feature="federation1",
        subgraphs={
            "products": Subgraph(
                sdl="""
                type Query { products: [Product!]! }
                type Product @key(fields: "upc") { upc: String! name: String weight: Int }
                """,
                data={"Query": {"products": _PRODUCTS}, "entities": {"Product": _PRODUCTS}},
            ),
            "shipping": Subgraph(
                sdl="""
                extend type Query { cheapest: Product @provides(fields: "name") }
                extend type Product @key(fields: "upc") {
                  upc: String! @external
                  name: String @external
                  weight: Int @external
                  shippingCost: Int @requires(fields: "weight")
                  legacyCode: String @external
                }
                """,
                data={"Query": {"cheapest": {"upc": "2", "name": "Chair"}}},
                resolvers={"Product.shippingCost": lambda parent: parent["weight"] * 2},
            ),
        },
        queries=(
            "{ products { name shippingCost } }",
            "{ cheapest { name } }",
            "{ cheapest { __typename upc name } products { upc weight } }",
        ),
    ),
    Case(
        name="federation1_extension_with_no_base",
        feature="federation1",
        subgraphs={
            "a": Subgraph(sdl="type Query { ping: String }"),
            "b": Subgraph(
                sdl="""
                extend type Query { pong: String }
                extend type Review @key(fields: "id") { id: ID! @external stars: Int }
                """
            ),
        },
    ),
    Case(
        name="federation1_value_type_not_shareable_in_federation2",
        feature="federation1",
        subgraphs={
            "old": Subgraph(
                sdl="type Query { a: Money } type Money { amount: Int currency: String }"
            ),
            "new": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ b: Money }}
                type Money {{ amount: Int currency: String }}
                """
            ),
        },
    ),
    Case(
        name="federation1_type_with_only_unused_externals",
        feature="federation1",
        subgraphs={
            "a": Subgraph(
                sdl="""
                type Query { product: Product }
                type Product @key(fields: "upc") { upc: String! name: String }
                """
            ),
            "b": Subgraph(
                sdl="""
                type Query { featured: Product }
                extend type Product { name: String @external }
                """
            ),
        },
    ),
    Case(
        name="federation1_style_extensions_in_a_federation2_subgraph",
        feature="federation1",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "sku org {{ id }}") {{
                  sku: String!
                  org: Org!
                  name: String
                }}
                type Org @shareable {{ id: ID! }}
                """,
                data={
                    "Query": {"products": [{"sku": "s1", "org": {"id": "o1"}, "name": "Lamp"}]},
                    "entities": {"Product": [{"sku": "s1", "org": {"id": "o1"}, "name": "Lamp"}]},
                },
            ),
            "pricing": Subgraph(
                sdl="""
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.7",
                  import: ["@key", "@shareable", "@external", "@extends"])
                type Query { cheapest: Product }
                type Product @key(fields: "sku org { id }") @extends {
                  sku: String! @external
                  org: Org! @external
                  price: Int
                }
                type Org @shareable { id: ID! @external }
                """,
                data={
                    "Query": {"cheapest": {"sku": "s1", "org": {"id": "o1"}, "price": 5}},
                    "entities": {"Product": [{"sku": "s1", "org": {"id": "o1"}, "price": 5}]},
                },
            ),
        },
        queries=(
            "{ products { name price } }",
            "{ cheapest { sku org { id } name price } }",
        ),
    ),
]
