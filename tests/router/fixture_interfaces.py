"""A supergraph with an entity interface and ``@interfaceObject``s, as SDL only.

- appliances owns ``interface Node @key(fields: "id")`` and its implementations ``Oven`` and
  ``Sink``; ``kitchen`` returns a union ``Appliance`` and knows no ``Node``.
- audit adds ``createdBy`` to every ``Node`` through an ``@interfaceObject`` and has a root
  field of its own returning ``Node``s; labels adds ``shout`` with ``@requires(fields: "label")``
  (and returns ``Node``s itself).
- shop's ``Product`` interface has a ``price`` that pricing takes over on ``Book`` only.
"""

from __future__ import annotations

from router.composition import SubgraphSource

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@external", "@requires", "@override", "@interfaceObject"])\n'
)

SDL = {
    "appliances": """
        type Query { node(id: ID!): Node appliances: [Node!]! }
        interface Node @key(fields: "id") { id: ID! label: String! }
        type Oven implements Node @key(fields: "id") { id: ID! label: String! watts: Int! }
        type Sink implements Node @key(fields: "id") { id: ID! label: String! litres: Int! }
    """,
    "audit": """
        type Query { recent: [Node!]! }
        type Node @key(fields: "id") @interfaceObject { id: ID! createdBy: String! }
    """,
    "labels": """
        type Query { loud: [Node] }
        type Node @key(fields: "id") @interfaceObject {
          id: ID!
          label: String! @external
          shout: String! @requires(fields: "label")
        }
    """,
    "kitchen": """
        type Query { kitchen: [Appliance!]! }
        union Appliance = Oven | Toaster
        type Oven @key(fields: "id") { id: ID! }
        type Toaster @key(fields: "id") { id: ID! slots: Int! }
    """,
    "pricing": """
        type Book @key(fields: "id") { id: ID! price: Int! @override(from: "shop") }
    """,
    "shop": """
        type Query { products: [Product!]! }
        interface Product { id: ID! price: Int! }
        type Book implements Product @key(fields: "id") { id: ID! price: Int! }
        type Pen implements Product @key(fields: "id") { id: ID! price: Int! }
    """,
}


def interface_sources() -> list[SubgraphSource]:
    """The SDL of every subgraph of this fixture."""
    return [SubgraphSource(name, LINK + sdl) for name, sdl in SDL.items()]


def interface_object_sources() -> list[SubgraphSource]:
    """The entity interface and its ``@interfaceObject``s alone (without shop's override,
    whose source a supergraph file marks ``@external``, as Apollo's extraction does)."""
    return [s for s in interface_sources() if s.name not in ("pricing", "shop")]
