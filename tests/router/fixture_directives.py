"""A Federation 2 supergraph exercising every supported directive, as SDL only.

Planner tests need no running subgraph: composition and planning read SDL alone.

- products owns ``Product`` with two keys (``upc`` and ``sku``) and its ``weight``/``price``.
- inventory computes ``shippingEstimate(zone:)`` with ``@requires(fields: "weight price")``.
- reviews returns ``Review.author`` with ``@provides(fields: "username")``, and
  ``spotlight`` with ``@provides(fields: "product { name }")`` (a nested path).
- accounts owns ``User``; legacy knows ``Product`` only by ``sku`` (a key mashup for reviews,
  which knows only ``upc``); pricing takes ``discount`` over with ``@override``.
- search returns a union and an interface spanning subgraphs.
"""

from __future__ import annotations

from router.composition import SubgraphSource

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@external", "@requires", "@provides", "@override", '
    '"@inaccessible", "@tag"])\n'
)

SDL = {
    "accounts": """
        type Query { me: User }
        type User @key(fields: "id") {
          id: ID!
          username: String @shareable
          name: String @tag(name: "pii")
        }
    """,
    "inventory": """
        type Product @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price: Int @external
          inStock: Boolean
          shippingEstimate(zone: String!): Int @requires(fields: "weight price")
        }
    """,
    "legacy": """
        type Product @key(fields: "sku") { sku: String! legacyCode: String }
    """,
    "pricing": """
        type Product @key(fields: "upc") { upc: String! discount: Int @override(from: "products") }
    """,
    "products": """
        type Query { topProducts: [Product!]! product(upc: String!): Product }
        type Product @key(fields: "upc") @key(fields: "sku") {
          upc: String!
          sku: String!
          name: String @shareable
          weight: Int
          price: Int
          discount: Int
          internalCode: String @inaccessible
        }
    """,
    "reviews": """
        type Query {
          latestReviews: [Review!]!
          spotlight: Review @provides(fields: "product { name }")
        }
        type Review @key(fields: "id") {
          id: ID!
          body: String
          author: User @provides(fields: "username")
          editor: User
          product: Product
        }
        type User @key(fields: "id") { id: ID! username: String @external }
        type Product @key(fields: "upc") {
          upc: String!
          name: String @external
          reviews: [Review!]!
        }
    """,
    "search": """
        type Query { search(text: String!): [SearchResult!]! items: [Item!]! }
        union SearchResult = Review | Article
        interface Item { id: ID! title: String }
        type Article implements Item @key(fields: "id") { id: ID! title: String }
        type Review implements Item @key(fields: "id") { id: ID! title: String }
    """,
}


def directive_sources() -> list[SubgraphSource]:
    """The SDL of every subgraph of this fixture."""
    return [SubgraphSource(name, LINK + sdl) for name, sdl in SDL.items()]
