"""Federation 2 basics: an entity extended across subgraphs, a shareable value type."""

from tests.federation_corpus.case import Case, Subgraph

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
                    "Query": {
                        "products": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Chair"}]
                    },
                    "entities": {
                        "Product": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Chair"}]
                    },
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
