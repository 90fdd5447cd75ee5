"""addRelationship and removeRelationship, merged into the CMDB's Mutation (schema.py)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.cmdb import permissions, relationships
from subgraphs.cmdb.graph_loaders import (
    RelationshipByIdLoader,
    RelationshipsByChildIdLoader,
    RelationshipsByParentIdLoader,
)
from subgraphs.cmdb.graph_types import CiRelationship, RelationshipType


@strawberry.input(description="A new relationship: parent —type→ child.")
class AddRelationshipInput:
    parent_id: strawberry.ID = strawberry.field(description="The parent CI.")
    child_id: strawberry.ID = strawberry.field(description="The child CI.")
    type: str = strawberry.field(description="The relationship type's name, e.g. RUNS_ON.")
    source: str | None = strawberry.field(
        default=None, description="Who asserts it (a discovery feed's name), at most 64."
    )


def _changed(info: strawberry.Info, row: Any, type_row: Any) -> CiRelationship:
    """The relationship as the mutation left it; loaders of this request forget its ends'
    older reads."""
    loaders = info.context.loaders
    loaders.get(RelationshipsByParentIdLoader).clear(row.parent_id)
    loaders.get(RelationshipsByChildIdLoader).clear(row.child_id)
    loaders.get(RelationshipByIdLoader).clear(row.id)
    return CiRelationship.from_row(row, RelationshipType.from_row(type_row))


@strawberry.mutation(
    description="Relate two configuration items. BAD_USER_INPUT for a relationship to itself, "
    "an unknown type or a combination of classes no relationship rule allows; NOT_FOUND for a "
    "CI that is not the tenant's; CONFLICT for a retired CI or when the relationship exists.",
    extensions=requires(permissions.EDIT),
)
async def add_relationship(info: strawberry.Info, input: AddRelationshipInput) -> CiRelationship:
    ctx = info.context
    new = relationships.NewRelationship(
        parent_id=parse_id(input.parent_id, "input.parentId"),
        child_id=parse_id(input.child_id, "input.childId"),
        type_name=input.type,
        source=input.source,
    )
    async with audited(info) as (session, audit):
        row, type_row = await relationships.add_relationship(session, ctx.tenant_id, new)
        audit.entity("CiRelationship", row.id)
        audit.created(relationships.described(row, type_row))
    return _changed(info, row, type_row)


@strawberry.mutation(
    description="Remove a relationship; returns it as it was. NOT_FOUND when the tenant has "
    "no relationship with that id.",
    extensions=requires(permissions.EDIT),
)
async def remove_relationship(info: strawberry.Info, id: strawberry.ID) -> CiRelationship:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, type_row = await relationships.remove_relationship(
            session, ctx.tenant_id, parse_id(id)
        )
        audit.entity("CiRelationship", row.id)
        audit.deleted(relationships.described(row, type_row))
    return _changed(info, row, type_row)


@strawberry.type
class RelationshipMutation:
    add_relationship = add_relationship
    remove_relationship = remove_relationship
