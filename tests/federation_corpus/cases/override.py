"""``@override(from:)``: a field taken over from another subgraph, from a subgraph that is
gone, and progressive ``@override(from:, label:)`` (``percent(0)``/``percent(100)`` keep the
draw deterministic; a named label stays off unless the router's configuration enables it)."""

from __future__ import annotations

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@override"])'
)

# Each subgraph answers the contested field with its own name, so the answer tells who did.
OLD = [{"id": "1", "status": "old:open"}, {"id": "2", "status": "old:closed"}]
NEW = [{"id": "1", "status": "new:open"}, {"id": "2", "status": "new:closed"}]


def _pair(override: str) -> dict[str, Subgraph]:
    """``tickets`` owns Ticket.status; ``workflow`` takes it over with ``override``."""
    return {
        "tickets": Subgraph(
            sdl=f"""
            extend schema {FED2}
            type Query {{ tickets: [Ticket!]! }}
            type Ticket @key(fields: "id") {{ id: ID! status: String! }}
            """,
            data={"Query": {"tickets": OLD}, "entities": {"Ticket": OLD}},
        ),
        "workflow": Subgraph(
            sdl=f"""
            extend schema {FED2}
            type Ticket @key(fields: "id") {{ id: ID! status: String! {override} owner: String! }}
            """,
            data={"entities": {"Ticket": [{**row, "owner": "ops"} for row in NEW]}},
        ),
    }


QUERIES = (
    "{ tickets { id status } }",
    "{ tickets { owner status } }",
    "{ tickets { s: status __typename } }",
)

CASES = [
    Case(
        name="override_moves_a_field_to_another_subgraph",
        feature="override",
        subgraphs=_pair('@override(from: "tickets")'),
        queries=QUERIES,
    ),
    Case(
        name="override_from_a_subgraph_that_is_gone",
        feature="override",
        subgraphs={
            "tickets": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ tickets: [Ticket!]! }}
                type Ticket @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"tickets": OLD}},
            ),
            "workflow": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Ticket @key(fields: "id") {{
                  id: ID! status: String! @override(from: "legacy")
                }}
                """,
                data={"entities": {"Ticket": NEW}},
            ),
        },
        queries=QUERIES[:1],
    ),
    Case(
        name="override_of_a_root_field",
        feature="override",
        subgraphs={
            "tickets": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ version: String! tickets: [Ticket!]! }}
                type Ticket @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"version": "old", "tickets": OLD}},
            ),
            "workflow": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ version: String! @override(from: "tickets") }}
                """,
                data={"Query": {"version": "new"}},
            ),
        },
        queries=("{ version tickets { id } }",),
    ),
    Case(
        name="override_progressive_at_zero_percent",
        feature="override",
        subgraphs=_pair('@override(from: "tickets", label: "percent(0)")'),
        queries=QUERIES,
    ),
    Case(
        name="override_progressive_at_a_hundred_percent",
        feature="override",
        subgraphs=_pair('@override(from: "tickets", label: "percent(100)")'),
        queries=QUERIES,
        difference=(
            "@apollo/gateway plans without override conditions, so every progressive "
            "override stays off (status from tickets); our router draws percent(N) labels per "
            "request, as Apollo's Router does, and percent(100) always moves status to workflow"
        ),
    ),
    Case(
        name="override_progressive_with_a_label_not_enabled",
        feature="override",
        subgraphs=_pair('@override(from: "tickets", label: "workflow-v2")'),
        queries=QUERIES[:2],
    ),
    Case(
        name="override_progressive_with_an_invalid_label",
        feature="override",
        subgraphs=_pair('@override(from: "tickets", label: "percent(150)")'),
        queries=QUERIES[:1],
    ),
]

CASES.append(
    Case(
        name="override_of_a_field_selected_through_an_interface",
        feature="override",
        subgraphs={
            "tickets": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ work: [Work!]! }}
                interface Work {{ id: ID! status: String! }}
                type Ticket implements Work @key(fields: "id") {{ id: ID! status: String! }}
                type Task implements Work @key(fields: "id") {{ id: ID! status: String! }}
                """,
                data={
                    "Query": {
                        "work": [
                            {"__typename": "Ticket", **OLD[0]},
                            {"__typename": "Task", "id": "9", "status": "old:todo"},
                        ]
                    },
                    "entities": {"Ticket": OLD},
                },
            ),
            "workflow": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Ticket @key(fields: "id") {{
                  id: ID! status: String! @override(from: "tickets")
                }}
                """,
                data={"entities": {"Ticket": NEW}},
            ),
        },
        queries=(
            "{ work { id status } }",
            "{ work { __typename ... on Ticket { status } ... on Task { status } } }",
        ),
    )
)

CASES.extend(
    [
        Case(
            name="override_of_an_external_field_is_refused",
            feature="override",
            subgraphs=_pair('@override(from: "tickets") @federation__external'),
            queries=QUERIES[:1],
        ),
        Case(
            name="override_from_itself_is_refused",
            feature="override",
            subgraphs=_pair('@override(from: "workflow")'),
            queries=QUERIES[:1],
        ),
        Case(
            name="override_of_an_overridden_field_is_refused",
            feature="override",
            subgraphs={
                **_pair('@override(from: "tickets")'),
                "audit": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Ticket @key(fields: "id") {{
                      id: ID! status: String! @override(from: "workflow")
                    }}
                    """,
                    data={"entities": {"Ticket": NEW}},
                ),
            },
            queries=QUERIES[:1],
        ),
    ]
)
