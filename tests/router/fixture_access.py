"""Two subgraphs declaring ``@authenticated`` and ``@requiresScopes``, as SDL only.

- shop owns ``Order`` (``total`` needs ``orders:read``; ``notes`` is declared by both
  subgraphs, each with its own scopes, which composition AND-s) and ``Customer`` (a type that
  needs authentication as a whole: every field returning it is restricted).
- ``search`` returns a union of both, to select a restricted type through a fragment.
- billing adds ``Order.invoice`` (``billing:read`` or ``admin``) and the ``refund`` mutation.
"""

from __future__ import annotations

from router.composition import SubgraphSource

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@authenticated", "@requiresScopes"])\n'
)

SDL = {
    "shop": """
        type Query {
          orders: [Order!]!
          order(id: ID!): Order
          me: Customer
          ping: String
          search: [SearchResult!]!
        }
        union SearchResult = Order | Customer
        type Order @key(fields: "id") {
          id: ID!
          total: Int @requiresScopes(scopes: [["orders:read"]])
          notes: String @shareable @requiresScopes(scopes: [["orders:read"], ["support"]])
          customer: Customer
        }
        type Customer @authenticated { name: String }
    """,
    "billing": """
        type Order @key(fields: "id") {
          id: ID!
          notes: String @shareable @requiresScopes(scopes: [["notes:read"]])
          invoice: Invoice @requiresScopes(scopes: [["billing:read"], ["admin"]])
        }
        type Invoice { number: String! amount: Int! }
        type Mutation {
          refund(orderId: ID!): Boolean! @requiresScopes(scopes: [["billing:write"]])
        }
    """,
}


def access_sources() -> list[SubgraphSource]:
    return [SubgraphSource(name, LINK + sdl) for name, sdl in SDL.items()]
