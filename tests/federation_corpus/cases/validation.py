"""Subgraph validation both composers apply before merging: ``@shareable`` subscription root
fields, and directives a Federation 2 subgraph applies without defining or importing them.

A subscription is one event stream from one subgraph, so its root fields are never shared. A
Federation 2 subgraph knows only the federation directives its ``@link`` imports (the others
by their ``federation__`` name), the directives it defines and GraphQL's built-in ones.
"""

from tests.federation_corpus.case import Case, Subgraph


def fed2(*imports: str) -> str:
    """The Federation 2 link importing ``imports`` (each ``@name``)."""
    listed = ", ".join(f'"{name}"' for name in imports)
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [{listed}])'
    )


def _events(subscription_field: str) -> Subgraph:
    return Subgraph(
        sdl=f"""
        {fed2("@key", "@shareable")}
        type Query {{ incident(id: ID!): Incident }}
        type Subscription {{ {subscription_field} }}
        type Incident @key(fields: "id") {{ id: ID! title: String }}
        """,
        data={"Query": {"incident": {"id": "1", "title": "Printer on fire"}}},
    )


_ASSIGNMENTS = Subgraph(
    sdl=f"""
    {fed2("@key")}
    type Incident @key(fields: "id") {{ id: ID! assignee: String }}
    """,
    data={"entities": {"Incident": [{"id": "1", "assignee": "ada"}]}},
)

CASES = [
    Case(
        name="validation_shareable_subscription_field_refused",
        feature="validation",
        subgraphs={
            "events": _events("incidentOpened: Incident @shareable"),
            "assignments": _ASSIGNMENTS,
        },
        queries=('{ incident(id: "1") { title assignee } }',),
    ),
    Case(
        name="validation_subscription_field_not_shared",
        feature="validation",
        subgraphs={"events": _events("incidentOpened: Incident"), "assignments": _ASSIGNMENTS},
        queries=(
            '{ incident(id: "1") { title assignee } }',
            '{ incident(id: "1") { __typename id } }',
        ),
    ),
    Case(
        name="validation_unimported_provides_refused",
        feature="validation",
        subgraphs={
            "feed": Subgraph(
                sdl=f"""
                {fed2("@key", "@external")}
                type Query {{ latest: Incident @provides(fields: "title") }}
                type Incident @key(fields: "id") {{ id: ID! title: String @external }}
                """,
                data={"Query": {"latest": {"id": "1", "title": "Printer on fire"}}},
            ),
            "incidents": Subgraph(
                sdl=f"""
                {fed2("@key", "@shareable")}
                type Incident @key(fields: "id") {{ id: ID! title: String @shareable }}
                """,
                data={"entities": {"Incident": [{"id": "1", "title": "Printer on fire"}]}},
            ),
        },
        queries=("{ latest { id title } }",),
    ),
    Case(
        name="validation_unimported_shareable_refused",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {fed2("@key")}
                type Query {{ service: Service }}
                type Service @key(fields: "id") {{ id: ID! name: String @shareable }}
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email"}}},
            ),
            "inventory": Subgraph(
                sdl=f"""
                {fed2("@key", "@shareable")}
                type Service @key(fields: "id") {{ id: ID! name: String @shareable }}
                """,
                data={"entities": {"Service": [{"id": "s1", "name": "Email"}]}},
            ),
        },
        queries=("{ service { id name } }",),
    ),
    Case(
        name="validation_qualified_shareable_without_import",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {fed2("@key")}
                type Query {{ service: Service }}
                type Service @key(fields: "id") {{ id: ID! name: String @federation__shareable }}
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email"}}},
            ),
            "inventory": Subgraph(
                sdl=f"""
                {fed2("@key", "@shareable")}
                type Service @key(fields: "id") {{ id: ID! name: String @shareable owner: String }}
                """,
                data={"entities": {"Service": [{"id": "s1", "name": "Email", "owner": "it"}]}},
            ),
        },
        queries=("{ service { id name owner } }", "{ service { __typename name } }"),
    ),
    Case(
        name="validation_custom_directive_defined_in_the_sdl",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {fed2("@key")}
                directive @audited(reason: String) on FIELD_DEFINITION | OBJECT
                type Query {{ service: Service @audited(reason: "lookup") }}
                type Service @key(fields: "id") @audited {{
                  id: ID!
                  name: String @deprecated(reason: "use label") @audited
                  label: String
                }}
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email", "label": "Mail"}}},
            ),
        },
        queries=("{ service { id name label } }",),
    ),
    Case(
        name="validation_undefined_custom_directive_refused",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {fed2("@key")}
                type Query {{ service: Service @audited }}
                type Service @key(fields: "id") {{ id: ID! name: String }}
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email"}}},
            ),
        },
        queries=("{ service { id name } }",),
    ),
    Case(
        name="validation_federation_1_directives_bare",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl="""
                type Query { service: Service @provides(fields: "name") }
                extend type Service @key(fields: "id") {
                  id: ID! @external
                  name: String @external
                }
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email"}}},
            ),
            "inventory": Subgraph(
                sdl="""
                type Service @key(fields: "id") { id: ID! name: String owner: String }
                """,
                data={"entities": {"Service": [{"id": "s1", "name": "Email", "owner": "it"}]}},
            ),
        },
        queries=("{ service { id name owner } }",),
    ),
    Case(
        name="validation_apollo_spec_directive_imported",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {fed2("@key")}
                  @link(url: "https://specs.apollo.dev/tag/v0.3", import: ["@tag"])
                type Query {{ service: Service @tag(name: "public") }}
                type Service @key(fields: "id") {{ id: ID! name: String }}
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email"}}},
            ),
        },
        queries=("{ service { id name } }",),
    ),
    Case(
        name="validation_own_spec_directive_imported_not_defined",
        feature="validation",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                {fed2("@key")}
                  @link(url: "https://example.dev/audit/v1.0", import: ["@audited"])
                type Query {{ service: Service @audited }}
                type Service @key(fields: "id") {{ id: ID! name: String }}
                """,
                data={"Query": {"service": {"id": "s1", "name": "Email"}}},
            ),
        },
        queries=("{ service { id name } }",),
    ),
]
