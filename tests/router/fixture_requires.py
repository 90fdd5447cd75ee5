"""A Federation 2 supergraph for the @requires/@provides/@external/@override planner tests.

- shop owns ``Product`` (``upc``) and computes ``shipping`` with ``@requires(fields:
  "weight")``, although ``weight`` lives in warehouse (a requirement of the parent's own
  subgraph); billing computes ``total`` from ``shipping`` (a chain).
- warehouse owns ``weight``, ``dims`` (a nested value type) and ``package`` (an interface).
- labels reads ``dims { size weight }``, ``package { ... on Box { volume } }`` and
  ``price(currency: "EUR")``, with ``Dims`` marked ``@external`` as a whole type.
- feed provides ``title`` per member of a union (``Media``) and of an interface (``Item``).
- workflow takes ``Product.status`` over progressively (``label: "percent(50)"``) and
  ``Product.stock`` from a subgraph that is gone.
"""

from __future__ import annotations

from router.composition import SubgraphSource

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@external", "@requires", "@provides", "@override"])\n'
)

SDL = {
    "shop": """
        type Query {
          products: [Product!]!
          feed: [Media!]! @provides(fields: "... on Book { title }")
          items: [Item!]! @provides(fields: "... on Book { title }")
        }
        type Product @key(fields: "upc") {
          upc: String!
          name: String
          weight: Int @external
          shipping: Int @requires(fields: "weight")
          price(currency: String!): Int
          status: String
        }
        union Media = Book | Movie
        interface Item { id: ID! }
        type Book implements Item @key(fields: "id") { id: ID! title: String @external }
        type Movie implements Item @key(fields: "id") { id: ID! }
    """,
    "catalog": """
        interface Item { id: ID! }
        type Book implements Item @key(fields: "id") { id: ID! title: String @shareable }
        type Movie implements Item @key(fields: "id") { id: ID! title: String }
    """,
    "warehouse": """
        type Product @key(fields: "upc") {
          upc: String!
          weight: Int
          dims: Dims
          package: Package
        }
        type Dims @shareable { size: Int weight: Int }
        interface Package { label: String }
        type Box implements Package @shareable { label: String volume: Int }
        type Envelope implements Package @shareable { label: String thickness: Int }
    """,
    "billing": """
        type Product @key(fields: "upc") {
          upc: String!
          shipping: Int @external
          total: Int @requires(fields: "shipping")
        }
    """,
    "labels": """
        type Product @key(fields: "upc") {
          upc: String!
          dims: Dims @external
          package: Package @external
          price(currency: String!): Int @external
          sticker: String @requires(fields: "dims { size weight }")
          delivery: String @requires(fields: "package { ... on Box { volume } }")
          priceTag: String @requires(fields: "price(currency: \\"EUR\\")")
        }
        type Dims @external { size: Int weight: Int }
        interface Package { label: String }
        type Box implements Package @shareable { label: String volume: Int }
        type Envelope implements Package @shareable { label: String thickness: Int }
    """,
    "workflow": """
        type Product @key(fields: "upc") {
          upc: String!
          status: String @override(from: "shop", label: "percent(50)")
          stock: Int @override(from: "inventory")
        }
    """,
}


def requires_sources() -> list[SubgraphSource]:
    """The fixture's subgraphs, SDL only."""
    return [SubgraphSource(name, LINK + sdl) for name, sdl in SDL.items()]
