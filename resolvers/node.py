"""Relay's `Node`: every entity type implements it, and `node(id:)` / `nodes(ids:)` refetch any
entity of any subgraph by its id alone.

Ids stay the UUIDs they always were (clients, stored references and `@key`s keep working), so an
id does not name its type. UUIDs are globally unique, so each subgraph can answer for the ids of
its own entity types: every subgraph that owns entities declares `node`/`nodes` as
`@shareable` root fields resolving only its own types (null for any other id), and the router
asks every subgraph declaring them, in parallel, keeping the first non-null answer per position
(router/planning/node_fanout.py), then fetches the fields other subgraphs contribute to the
type found as usual. Encoding the type in the id (`Incident:…`) would have let the router ask
one subgraph, but every existing id would have had to change or be accepted in two forms.

A subgraph resolves ids among its types with their reference loaders (one batched statement per
type whatever the number of ids), under each type's reference permission and the tenant wall:
an id of another tenant, of an entity the caller may not read, or of no entity at all is null
alike; a malformed id is BAD_USER_INPUT."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import strawberry

from resolvers.errors import BadUserInput, Unauthenticated
from resolvers.ids import try_parse_id
from resolvers.loaders import load_by_ids
from resolvers.node_interface import Node
from resolvers.references import ReferencedById

MAX_NODE_IDS = 500

NODE_DESCRIPTION = (
    "The entity with this id, of any type (Relay's refetch); null when there is none the "
    "caller may read in its tenant. A malformed id is BAD_USER_INPUT."
)
NODES_DESCRIPTION = (
    "The entities with these ids (at most 500), of any types, in the order asked: null at "
    "each position with no entity the caller may read in its tenant. A malformed id is "
    "BAD_USER_INPUT."
)


async def resolve_nodes(
    info: strawberry.Info,
    ids: Sequence[object],
    types: Sequence[type[ReferencedById]],
    argument: str,
) -> list[Any | None]:
    """The entities of ``types`` with ``ids``, positionally (None where none is readable)."""
    if len(ids) > MAX_NODE_IDS:
        raise BadUserInput(
            f"{argument}: at most {MAX_NODE_IDS} ids at once, got {len(ids)}", argument=argument
        )
    for value in ids:
        if try_parse_id(value) is None:
            raise BadUserInput(f"{argument} {value!r} is not a valid id", argument=argument)
    principal = info.context.principal
    if not principal.authenticated and not principal.permissions:
        raise Unauthenticated("Authentication required: send a bearer token")
    readable = [t for t in types if principal.can(t.reference_permission)]
    per_type = await asyncio.gather(
        *(
            load_by_ids(info.context, t.reference_loader, ids, t.row_fields.columns(info))
            for t in readable
        )
    )
    found: list[Any | None] = [None] * len(ids)
    for node_type, rows in zip(readable, per_type, strict=True):
        for index, row in enumerate(rows):
            if row is not None and found[index] is None:
                found[index] = node_type.from_row(row)
    return found


def node_fields(*types: type[ReferencedById]) -> tuple[Any, Any]:
    """`node` and `nodes` for a subgraph's Query, resolving ids among its own ``types``."""

    async def node(info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return (await resolve_nodes(info, [id], types, "id"))[0]  # type: ignore[no-any-return]

    async def nodes(info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await resolve_nodes(info, ids, types, "ids")

    return (
        strawberry.federation.field(resolver=node, shareable=True, description=NODE_DESCRIPTION),
        strawberry.federation.field(resolver=nodes, shareable=True, description=NODES_DESCRIPTION),
    )
