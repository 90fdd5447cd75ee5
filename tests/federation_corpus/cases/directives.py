"""Directives carried into the supergraph: ``@tag`` and ``@composeDirective``.

Neither changes an answer; both composers keep them in the supergraph (``@composeDirective``
linking the custom directive's specification) and refuse malformed requests alike.
"""

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@tag", "@composeDirective"])'
)


def lowercase(version: str) -> str:
    """A subgraph linking a custom ``@lowercase`` directive and asking to compose it."""
    return (
        f'{FED2} @link(url: "https://example.dev/lowercase/v{version}", import: ["@lowercase"]) '
        '@composeDirective(name: "@lowercase")\n'
        "directive @lowercase(strict: Boolean = false) on FIELD_DEFINITION | OBJECT"
    )


CASES = [
    Case(
        name="directives_tag_on_types_fields_and_arguments",
        feature="directives",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{
                  products(limit: Int @tag(name: "paging")): [Product!]! @tag(name: "public")
                }}
                type Product @key(fields: "id") @tag(name: "catalog") {{
                  id: ID!
                  name: String @tag(name: "public") @tag(name: "search")
                }}
                """,
                data={"Query": {"products": [{"id": "1", "name": "Kettle"}]}},
            ),
            "reviews": Subgraph(
                sdl=f"""
                {FED2}
                type Product @key(fields: "id") @tag(name: "reviews") {{
                  id: ID!
                  rating: Float @tag(name: "public")
                }}
                """,
                data={"entities": {"Product": [{"id": "1", "rating": 4.5}]}},
            ),
        },
        queries=(
            "{ products(limit: 1) { id name rating } }",
            "{ products { __typename rating } }",
        ),
    ),
    Case(
        name="directives_compose_directive_kept_in_the_supergraph",
        feature="directives",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {lowercase("1.0")}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "id") @lowercase {{
                  id: ID!
                  name: String @lowercase(strict: true)
                }}
                """,
                data={"Query": {"products": [{"id": "1", "name": "kettle"}]}},
            ),
            "stock": Subgraph(
                sdl=f"""
                {lowercase("1.1")}
                type Product @key(fields: "id") {{ id: ID! warehouse: String @lowercase }}
                """,
                data={"entities": {"Product": [{"id": "1", "warehouse": "north"}]}},
            ),
        },
        queries=("{ products { name warehouse } }",),
    ),
    Case(
        name="directives_compose_directive_not_from_a_linked_spec",
        feature="directives",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {FED2} @composeDirective(name: "@lowercase")
                directive @lowercase on FIELD_DEFINITION
                type Query {{ name: String @lowercase }}
                """,
                data={"Query": {"name": "x"}},
            ),
        },
        queries=("{ name }",),
    ),
    Case(
        name="directives_compose_directive_two_major_versions",
        feature="directives",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {lowercase("1.0")}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "id") {{ id: ID! name: String @lowercase }}
                """,
                data={"Query": {"products": [{"id": "1", "name": "kettle"}]}},
            ),
            "stock": Subgraph(
                sdl=f"""
                {lowercase("2.0")}
                type Product @key(fields: "id") {{ id: ID! warehouse: String @lowercase }}
                """,
            ),
        },
        queries=("{ products { name warehouse } }",),
    ),
]
