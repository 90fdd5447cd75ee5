"""``@inaccessible``: elements that compose into the supergraph but leave the API schema.

Fields, types, union members, enum values, arguments and input fields; the checks Apollo's
composition makes on what stays visible; and at execution, an inaccessible enum value a
subgraph still returns becomes null with an error (propagating to the nearest nullable
parent on a non-null field).
"""

from tests.federation_corpus.case import Case, Query, Subgraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@inaccessible"])'
)


def _echo(_parent: object, **arguments: object) -> str:
    return ",".join(f"{name}={arguments[name]}" for name in sorted(arguments))


CASES = [
    Case(
        name="inaccessible_field_and_type",
        feature="inaccessible",
        subgraphs={
            "users": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ users: [User!]! audit: AuditLog @inaccessible }}
                type User @key(fields: "id") {{
                  id: ID!
                  name: String!
                  passwordHash: String @inaccessible
                }}
                type AuditLog @inaccessible {{ entries: [String] }}
                """,
                data={
                    "Query": {"users": [{"id": "1", "name": "Ada", "passwordHash": "x"}]},
                    "entities": {"User": [{"id": "1", "name": "Ada"}]},
                },
            ),
            "profiles": Subgraph(
                sdl=f"""
                {FED2}
                type User @key(fields: "id") {{
                  id: ID!
                  bio: String
                  secretScore: Int @inaccessible
                }}
                """,
                data={"entities": {"User": [{"id": "1", "bio": "Mathematician"}]}},
            ),
        },
        queries=(
            "{ users { id name bio } }",
            '{ __type(name: "User") { fields { name } } }',
            '{ __type(name: "AuditLog") { name } }',
        ),
    ),
    Case(
        name="inaccessible_union_member_and_implementation",
        feature="inaccessible",
        subgraphs={
            "search": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ results: [Result!]! nodes: [Node!]! }}
                union Result = Article | Draft
                interface Node {{ id: ID! }}
                type Article implements Node {{ id: ID! title: String }}
                type Draft implements Node @inaccessible {{ id: ID! body: String }}
                """,
                data={
                    "Query": {
                        "results": [{"__typename": "Article", "id": "a1", "title": "Hello"}],
                        "nodes": [{"__typename": "Article", "id": "a1", "title": "Hello"}],
                    }
                },
            ),
        },
        queries=(
            "{ results { __typename ... on Article { title } } }",
            "{ nodes { __typename id } }",
            '{ __type(name: "Result") { possibleTypes { name } } }',
        ),
    ),
    Case(
        name="inaccessible_enum_value_returned_by_a_subgraph",
        feature="inaccessible",
        subgraphs={
            "tickets": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ tickets: [Ticket!]! urgent: Ticket }}
                type Ticket @key(fields: "id") {{
                  id: ID!
                  status: Status
                  severity: Severity!
                  history: [Status!]
                }}
                enum Status {{ OPEN CLOSED QUARANTINED @inaccessible }}
                enum Severity {{ LOW HIGH EMBARGOED @inaccessible }}
                """,
                data={
                    "Query": {
                        "tickets": [
                            {"id": "1", "status": "OPEN", "severity": "LOW", "history": ["OPEN"]},
                            {
                                "id": "2",
                                "status": "QUARANTINED",
                                "severity": "HIGH",
                                "history": ["OPEN", "QUARANTINED"],
                            },
                        ],
                        "urgent": {
                            "id": "3",
                            "status": "CLOSED",
                            "severity": "EMBARGOED",
                            "history": [],
                        },
                    }
                },
            ),
        },
        queries=(
            "{ tickets { id status } }",
            "{ tickets { id history } }",
            "{ urgent { id severity } }",
            "{ tickets { id severity } urgent { status } }",
        ),
        difference=(
            "data and error paths agree, but @apollo/gateway reports the value-completion "
            "error under extensions.valueCompletion (and drops it when a fetch failed too); "
            "we report it in errors, as the GraphQL spec asks of a field error (checked: "
            "counting valueCompletion as errors, every answer matches)"
        ),
    ),
    Case(
        name="inaccessible_object_returned_in_an_abstract_position",
        feature="inaccessible",
        subgraphs={
            "search": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ results: [Result!]! first: Result! latest: Result }}
                union Result = Article | Draft
                type Article {{ id: ID! title: String }}
                type Draft @inaccessible {{ id: ID! body: String }}
                """,
                data={
                    "Query": {
                        "results": [
                            {"__typename": "Article", "id": "a1", "title": "Hello"},
                            {"__typename": "Draft", "id": "d1", "body": "wip"},
                        ],
                        "first": {"__typename": "Draft", "id": "d1", "body": "wip"},
                        "latest": {"__typename": "Draft", "id": "d2", "body": "wip"},
                    }
                },
            ),
        },
        queries=(
            "{ latest { __typename ... on Article { title } } }",
            "{ results { __typename ... on Article { title } } }",
            "{ first { ... on Article { id } } }",
        ),
        difference=(
            "data and error paths agree, but @apollo/gateway reports the value-completion "
            "error (a __typename the API schema lacks) under extensions.valueCompletion; we "
            "report it in errors, as the GraphQL spec asks of a field error (checked: counting "
            "valueCompletion as errors, every answer matches)"
        ),
    ),
    Case(
        name="inaccessible_argument_input_field_and_input_enum_value",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{
                  find(term: String, internal: Boolean @inaccessible): String
                  list(filter: Filter, order: Order): String
                }}
                input Filter {{ name: String tenant: String @inaccessible }}
                enum Order {{ ASC DESC RANDOM @inaccessible }}
                """,
                resolvers={
                    "Query.find": _echo,
                    "Query.list": lambda _parent, filter=None, order=None: f"{filter}/{order}",
                },
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ count(order: Order): Int }}
                enum Order {{ ASC DESC }}
                """,
                resolvers={"Query.count": lambda _parent, order=None: 1 if order else 0},
            ),
        },
        queries=(
            '{ find(term: "x") }',
            '{ list(filter: {name: "n"}, order: DESC) count(order: ASC) }',
            Query("query ($o: Order) { list(order: $o) count(order: $o) }", {"o": "ASC"}),
            '{ __type(name: "Order") { enumValues { name } } }',
        ),
    ),
    Case(
        name="inaccessible_in_one_subgraph_hides_everywhere",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ a: Point }}
                type Point @shareable {{ x: Int y: Int internal: String @inaccessible }}
                """,
                data={"Query": {"a": {"x": 1, "y": 2, "internal": "i"}}},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ b: Point }}
                type Point @shareable {{ x: Int y: Int internal: String }}
                """,
                data={"Query": {"b": {"x": 3, "y": 4, "internal": "j"}}},
            ),
        },
        queries=("{ a { x y } b { x } }", '{ __type(name: "Point") { fields { name } } }'),
    ),
    Case(
        name="inaccessible_type_referenced_by_a_visible_field",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ secret: Secret }}
                type Secret @inaccessible {{ value: String }}
                """
            ),
        },
    ),
    Case(
        name="inaccessible_every_enum_value",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ level: Level }}
                enum Level {{ LOW @inaccessible HIGH @inaccessible }}
                """
            ),
        },
    ),
    Case(
        name="inaccessible_required_argument",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ f(x: Int! @inaccessible): Int }}"),
        },
    ),
    Case(
        name="inaccessible_field_implements_visible_interface_field",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ n: Named }}
                interface Named {{ name: String }}
                type Person implements Named {{ name: String @inaccessible age: Int }}
                """
            ),
        },
    ),
    Case(
        name="inaccessible_enum_value_in_a_default",
        feature="inaccessible",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ list(order: Order = RANDOM): Int }}
                enum Order {{ ASC RANDOM @inaccessible }}
                """
            ),
        },
    ),
]
