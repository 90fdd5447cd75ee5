"""Federation 2 basics: an entity extended across subgraphs, a shareable value type."""

from tests.federation_corpus.case import Case, Query, Subgraph

PRODUCTS = [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Chair"}]
FED2 = '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])'

CASES = [
    Case(
        name="basics_entity_across_two_subgraphs",
        feature="basics",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: String! name: String! }}
                """,
                data={
                    "Query": {"products": PRODUCTS},
                    "entities": {"Product": PRODUCTS},
                },
            ),
            "reviews": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Product @key(fields: "upc") {{ upc: String! reviews: [Review!]! }}
                type Review {{ body: String! stars: Int! }}
                """,
                data={
                    "entities": {
                        "Product": [
                            {"upc": "1", "reviews": [{"body": "Solid", "stars": 5}]},
                            {"upc": "2", "reviews": []},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ products { upc name reviews { body stars } } }",
            "{ products { __typename reviews { stars } } }",
        ),
    ),
    Case(
        name="basics_shareable_value_type",
        feature="basics",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ one: Money! }}
                type Money @shareable {{ amount: Int! currency: String! }}
                """,
                data={"Query": {"one": {"amount": 1, "currency": "EUR"}}},
            ),
            "b": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ two: Money! }}
                type Money @shareable {{ amount: Int! currency: String! }}
                """,
                data={"Query": {"two": {"amount": 2, "currency": "USD"}}},
            ),
        },
        queries=("{ one { amount currency } two { amount } }",),
    ),
]

USERS = [{"id": "u1", "name": "Ada"}, {"id": "u2", "name": "Grace"}]
FED2_ALL = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@provides"])'
)


def _product(_root: object, upc: str) -> dict[str, str] | None:
    return next((p for p in PRODUCTS if p["upc"] == upc), None)


CASES += [
    Case(
        name="basics_compound_and_nested_keys",
        feature="basics",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ variants: [Variant!]! }}
                type Variant @key(fields: "sku size") {{ sku: String! size: Int! label: String! }}
                type Seat @key(fields: "venue {{ id }} row") {{
                  venue: Venue! row: Int! price: Int!
                }}
                type Venue {{ id: ID! }}
                """,
                data={
                    "Query": {"variants": [{"sku": "t", "size": 1, "label": "T1"}]},
                    "entities": {"Seat": [{"venue": {"id": "v"}, "row": 3, "price": 40}]},
                },
            ),
            "stock": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ seats: [Seat!]! }}
                type Variant @key(fields: "sku size") {{ sku: String! size: Int! inStock: Int! }}
                type Seat @key(fields: "venue {{ id }} row") {{
                  venue: Venue! row: Int! variant: Variant!
                }}
                type Venue {{ id: ID! }}
                """,
                data={
                    "Query": {
                        "seats": [
                            {"venue": {"id": "v"}, "row": 3, "variant": {"sku": "t", "size": 1}}
                        ]
                    },
                    "entities": {
                        "Variant": [{"sku": "t", "size": 1, "inStock": 7}],
                        "Seat": [{"venue": {"id": "v"}, "row": 3}],
                    },
                },
            ),
        },
        queries=(
            "{ variants { label inStock } }",
            "{ seats { row price venue { id } variant { label inStock } } }",
        ),
    ),
    Case(
        name="basics_entity_chain_back_to_the_first_subgraph",
        feature="basics",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ product(upc: String!): Product }}
                type Product @key(fields: "upc") {{ upc: String! name: String! }}
                type User @key(fields: "id") {{ id: ID! favourite: Product }}
                """,
                data={
                    "entities": {
                        "Product": PRODUCTS,
                        "User": [{"id": "u1", "favourite": {"upc": "2"}}, {"id": "u2"}],
                    }
                },
                resolvers={"Query.product": _product},
            ),
            "reviews": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Product @key(fields: "upc") {{ upc: String! reviews: [Review!]! }}
                type Review {{ body: String! author: User! }}
                type User @key(fields: "id") {{ id: ID! }}
                """,
                data={
                    "entities": {
                        "Product": [
                            {
                                "upc": "1",
                                "reviews": [
                                    {"body": "Solid", "author": {"id": "u1"}},
                                    {"body": "Meh", "author": {"id": "u2"}},
                                ],
                            }
                        ]
                    }
                },
            ),
            "accounts": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type User @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={"entities": {"User": USERS}},
            ),
        },
        queries=(
            """{ product(upc: "1") { name reviews { body author { name favourite {
                 name reviews { body } } } } } }""",
            """query Named($upc: String!) { first: product(upc: $upc) { n: name }
                 missing: product(upc: "9") { name } }""",
        ),
    ),
    Case(
        name="basics_errors_and_nulls_across_subgraphs",
        feature="basics",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ products: [Product]! }}
                type Product @key(fields: "upc") {{ upc: String! name: String! }}
                """,
                data={"Query": {"products": [*PRODUCTS, {"upc": "3", "name": "Lamp"}]}},
            ),
            "inventory": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Product @key(fields: "upc") {{
                  upc: String! stock: Int price: Int! shipping: Shipping
                }}
                type Shipping {{ days: Int! }}
                """,
                data={
                    "entities": {
                        "Product": [
                            {"upc": "1", "stock": 3, "price": 10, "shipping": {"days": 2}},
                            {
                                "upc": "2",
                                "stock": ValueError("stock service down"),
                                "price": 20,
                                "shipping": {"days": ValueError("no carrier")},
                            },
                            {"upc": "3", "stock": 1, "price": ValueError("no price")},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ products { name stock } }",
            "{ products { name price } }",
            "{ products { upc shipping { days } } }",
        ),
    ),
    Case(
        name="basics_missing_entity_is_null",
        feature="basics",
        subgraphs={
            "accounts": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ users: [User!]! }}
                type User @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={"Query": {"users": [*USERS, {"id": "u3", "name": "Linus"}]}},
            ),
            "billing": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type User @key(fields: "id") {{ id: ID! plan: Plan }}
                type Plan {{ name: String! }}
                """,
                data={
                    "entities": {
                        "User": [{"id": "u1", "plan": {"name": "Pro"}}, {"id": "u2", "plan": None}]
                    }
                },
            ),
        },
        queries=("{ users { name plan { name } } }",),
    ),
    Case(
        name="basics_unresolvable_reference",
        feature="basics",
        subgraphs={
            "accounts": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type User @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={"entities": {"User": USERS}},
            ),
            "posts": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ posts: [Post!]! }}
                type Post {{ title: String! author: User! }}
                type User @key(fields: "id", resolvable: false) {{ id: ID! }}
                """,
                data={
                    "Query": {
                        "posts": [
                            {"title": "On engines", "author": {"id": "u1"}},
                            {"title": "On compilers", "author": {"id": "u2"}},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ posts { title author { id name } } }",
            "{ posts { author { __typename id } } }",
        ),
    ),
    Case(
        name="basics_provides_and_shareable_fields",
        feature="basics",
        subgraphs={
            "accounts": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ me: User }}
                type User @key(fields: "id") {{ id: ID! name: String! @shareable email: String! }}
                """,
                data={
                    "Query": {"me": {"id": "u1", "name": "Ada", "email": "ada@x"}},
                    "entities": {"User": [{"id": "u2", "name": "Grace", "email": "grace@x"}]},
                },
            ),
            "posts": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ posts: [Post!]! }}
                type Post {{ title: String! author: User! @provides(fields: "name") }}
                type User @key(fields: "id") {{ id: ID! name: String! @external }}
                """,
                data={
                    "Query": {"posts": [{"title": "Hi", "author": {"id": "u2", "name": "Grace"}}]},
                    "entities": {"User": [{"id": "u2"}]},
                },
            ),
        },
        queries=(
            "{ posts { title author { name } } }",
            "{ posts { author { name email } } me { name } }",
        ),
    ),
    Case(
        name="basics_mutations_run_in_order",
        feature="basics",
        subgraphs={
            "counter": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ value: Int! }}
                type Mutation {{ add(by: Int!): Tally! }}
                type Tally @key(fields: "id") {{ id: ID! total: Int! }}
                """,
                data={"Query": {"value": 0}},
                resolvers={"Mutation.add": lambda _root, by: {"id": f"t{by}", "total": by}},
            ),
            "labels": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Tally @key(fields: "id") {{ id: ID! label: String! }}
                """,
                resolvers={"Tally.label": lambda tally: f"tally {tally['id']}"},
            ),
        },
        queries=("mutation { a: add(by: 1) { total label } b: add(by: 2) { label total } }",),
    ),
]

CASES += [
    Case(
        name="basics_key_jump_through_a_third_subgraph",
        feature="basics",
        subgraphs={
            "ids": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ items: [Item!]! }}
                type Item @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"items": [{"id": "1"}, {"id": "2"}]}},
            ),
            "bridge": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Item @key(fields: "id") @key(fields: "sku") {{ id: ID! sku: String! }}
                """,
                data={"entities": {"Item": [{"id": "1", "sku": "A"}, {"id": "2", "sku": "B"}]}},
            ),
            "skus": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Item @key(fields: "sku") {{ sku: String! colour: String! }}
                """,
                data={
                    "entities": {
                        "Item": [{"sku": "A", "colour": "red"}, {"sku": "B", "colour": "blue"}]
                    }
                },
            ),
        },
        queries=("{ items { id colour } }", "{ items { sku colour id } }"),
    ),
    Case(
        name="basics_fragments_directives_and_variables",
        feature="basics",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: String! name: String! }}
                """,
                data={"Query": {"products": PRODUCTS}},
            ),
            "reviews": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Product @key(fields: "upc") {{
                  upc: String! reviewCount(minStars: Int = 0): Int!
                }}
                """,
                resolvers={
                    "Product.reviewCount": lambda product, minStars: (
                        len(product["upc"]) * (3 - minStars)
                    )
                },
            ),
        },
        queries=(
            Query(
                """query Q($withCount: Boolean!, $min: Int) {
                  products { ...Named reviewCount(minStars: $min) @include(if: $withCount)
                    ... on Product { other: reviewCount } } }
                fragment Named on Product { name upc }""",
                {"withCount": True, "min": 1},
            ),
            Query(
                """query Q($withCount: Boolean!) {
                  products { name reviewCount @include(if: $withCount) } }""",
                {"withCount": False},
            ),
        ),
    ),
    Case(
        name="basics_shareable_root_field_in_two_subgraphs",
        feature="basics",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ version: String! @shareable onlyA: Int! }}
                """,
                data={"Query": {"version": "1.0", "onlyA": 1}},
            ),
            "b": Subgraph(
                sdl=f"""
                extend schema {FED2_ALL}
                type Query {{ version: String! @shareable onlyB: Int! }}
                """,
                data={"Query": {"version": "1.0", "onlyB": 2}},
            ),
        },
        queries=("{ version onlyA onlyB }", "{ onlyB version }"),
    ),
]
