"""``@authenticated``, ``@requiresScopes`` and ``@policy`` carried into the supergraph.

Apollo's composition writes them under ``for: SECURITY`` links, which ``@apollo/gateway``
refuses to load (they are Apollo Router features): the cases that compose differ from Apollo
for that reason only. Our router composes them and enforces them for callers it can judge
(in-process; the split router leaves them to the subgraphs, so these queries answer in full).
Misplaced access directives are refused by both composers alike.
"""

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy"])'
)
GATEWAY_REFUSES = (
    "@apollo/gateway refuses the supergraph Apollo composes: its SECURITY features "
    "(authenticated, requiresScopes, policy) are Apollo Router's only; we compose and serve it"
)

ORDERS = {
    "Query": {"orders": [{"id": "o1", "total": 30, "note": "gift"}, {"id": "o2", "total": 5}]},
}

CASES = [
    Case(
        name="auth_directives_authenticated_field_and_type",
        feature="auth directives",
        difference=GATEWAY_REFUSES,
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ orders: [Order!]! me: Customer }}
                type Order @key(fields: "id") {{ id: ID! total: Int @authenticated }}
                type Customer @authenticated {{ name: String }}
                """,
                data={
                    "Query": {
                        "orders": [{"id": "o1", "total": 30}],
                        "me": {"name": "Ada"},
                    }
                },
            ),
        },
        queries=("{ orders { id total } me { name } }",),
    ),
    Case(
        name="auth_directives_scopes_from_two_subgraphs",
        feature="auth directives",
        difference=GATEWAY_REFUSES,
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ orders: [Order!]! }}
                type Order @key(fields: "id") {{
                  id: ID!
                  total: Int
                  note: String @shareable @requiresScopes(scopes: [["orders:read"], ["support"]])
                }}
                """,
                data=ORDERS,
            ),
            "billing": Subgraph(
                sdl=f"""
                {FED2}
                type Order @key(fields: "id") {{
                  id: ID!
                  note: String @shareable @requiresScopes(scopes: [["notes:read"]])
                  invoice: String @requiresScopes(scopes: [["billing:read"]])
                }}
                """,
                data={"entities": {"Order": [{"id": "o1", "invoice": "INV-1"}, {"id": "o2"}]}},
            ),
        },
        queries=("{ orders { id total note invoice } }",),
    ),
    Case(
        name="auth_directives_policy_on_field_and_type",
        feature="auth directives",
        difference=GATEWAY_REFUSES,
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ orders: [Order!]! }}
                type Order @key(fields: "id") {{
                  id: ID!
                  total: Int @policy(policies: [["finance"], ["audit", "support"]])
                  note: String
                }}
                """,
                data=ORDERS,
            ),
            "people": Subgraph(
                sdl=f"""
                {FED2}
                type Order @key(fields: "id") {{ id: ID! owner: Owner }}
                type Owner @policy(policies: [["hr"]]) {{ name: String }}
                """,
                data={
                    "entities": {"Order": [{"id": "o1", "owner": {"name": "Ada"}}, {"id": "o2"}]}
                },
            ),
        },
        queries=("{ orders { id total owner { name } } }", "{ orders { note } }"),
    ),
    Case(
        name="auth_directives_policy_on_an_interface_field",
        feature="auth directives",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ nodes: [Node!]! }}
                interface Node {{ id: ID! @policy(policies: [["p"]]) }}
                type Order implements Node @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"nodes": [{"__typename": "Order", "id": "o1"}]}},
            ),
        },
        queries=("{ nodes { id } }",),
    ),
    Case(
        name="auth_directives_scopes_on_an_argument",
        feature="auth directives",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ orders(all: Boolean @requiresScopes(scopes: [["admin"]])): [ID!]! }}
                """,
                data={"Query": {"orders": ["o1"]}},
            ),
        },
        queries=("{ orders }",),
    ),
]
