"""Relay's `Node` interface: every entity type implements it, in the subgraph that owns it and
as another domain's stub (resolvers/references.py), so that every subgraph declaring
`node`/`nodes` shares some of its runtime types with the others (Apollo's composition refuses
a shareable field whose subgraphs share none). What `node` returns: resolvers/node.py."""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a globally unique id: `node(id:)` refetches any of them."
)
class Node:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
