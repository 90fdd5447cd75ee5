"""Relationship and impact types.

types.py builds on these (through graph_fields.py), so they reach `ConfigurationItem` lazily:
annotations through `strawberry.lazy`, the class itself through `configuration_item()`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from subgraphs.cmdb import enums
from subgraphs.cmdb.graph_loaders import RelationshipByIdLoader
from subgraphs.cmdb.loaders import CiByIdLoader

if TYPE_CHECKING:
    from subgraphs.cmdb.types import ConfigurationItem

CI = Annotated["ConfigurationItem", strawberry.lazy("subgraphs.cmdb.types")]
_SIDE = enums.stored(enums.DependentSide)


def configuration_item() -> type[ConfigurationItem]:
    """types.ConfigurationItem, imported when first needed (types.py imports this module)."""
    from subgraphs.cmdb.types import ConfigurationItem

    return ConfigurationItem


async def _ci(info: strawberry.Info, id: uuid.UUID) -> ConfigurationItem:
    """The CI `id` with the columns the field's selection needs (a cache hit when the
    request's impact read already loaded it)."""
    ci_type = configuration_item()
    loader = info.context.loaders.get(CiByIdLoader)
    row = await loader.load(id, ci_type.row_fields.columns(info))
    assert row is not None, "a relationship's ends are foreign keys"
    return ci_type.from_row(row)


@strawberry.type(
    description="A kind of relationship, a parent→child pair with a name for each direction "
    "(Runs on / Runs), and which end depends on the other."
)
class RelationshipType:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="Unique within the tenant, e.g. RUNS_ON.")
    parent_descriptor: str = strawberry.field(
        description="The relationship read from the parent, e.g. Runs on."
    )
    child_descriptor: str = strawberry.field(
        description="The relationship read from the child, e.g. Runs."
    )
    dependent_side: enums.DependentSide = strawberry.field(
        description="The end that suffers when the other fails."
    )

    @classmethod
    def from_row(cls, row: Any) -> RelationshipType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            parent_descriptor=row.parent_descriptor,
            child_descriptor=row.child_descriptor,
            dependent_side=_SIDE(row.dependent_side),
        )


@strawberry.type(description="A typed link between two configuration items: parent —type→ child.")
class CiRelationship:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    type: RelationshipType = strawberry.field(description="What kind of relationship it is.")
    parent_id: strawberry.Private[uuid.UUID]
    child_id: strawberry.Private[uuid.UUID]
    row: strawberry.Private[Any]  # the whole row when it was read; None from impact analysis

    @classmethod
    def from_row(cls, row: Any, type_: RelationshipType) -> CiRelationship:
        return cls(
            id=strawberry.ID(str(row.id)),
            type=type_,
            parent_id=row.parent_id,
            child_id=row.child_id,
            row=row,
        )

    @strawberry.field(description="The parent end (the one the type's name is read from).")
    async def parent(self, info: strawberry.Info) -> CI:
        return await _ci(info, self.parent_id)

    @strawberry.field(description="The child end.")
    async def child(self, info: strawberry.Info) -> CI:
        return await _ci(info, self.child_id)

    @strawberry.field(description="Who asserted it: a discovery feed's name; null if by hand.")
    async def source(self, info: strawberry.Info) -> str | None:
        return (await self._row(info)).source  # type: ignore[no-any-return]

    @strawberry.field(description="When it was recorded.")
    async def created_at(self, info: strawberry.Info) -> datetime:
        return (await self._row(info)).created_at  # type: ignore[no-any-return]

    async def _row(self, info: strawberry.Info) -> Any:
        if self.row is None:
            loader = info.context.loaders.get(RelationshipByIdLoader)
            self.row = await loader.load(uuid.UUID(str(self.id)))
        return self.row


@strawberry.type(description="A configuration item a failure reaches.")
class ImpactNode:
    ci: CI = strawberry.field(description="The configuration item.")
    distance: int = strawberry.field(
        description="How many relationships away from where the failure started (0 there)."
    )
    via: CiRelationship | None = strawberry.field(
        description="The relationship the failure reached it by (for a redundant CI, the one "
        "that took away the last provider it could spare); null where it started."
    )


@strawberry.type(description="A relationship the failure travels along, oriented its way.")
class ImpactEdge:
    relationship: CiRelationship = strawberry.field(description="The relationship.")
    from_id: strawberry.Private[uuid.UUID]
    to_id: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="The end the failure comes from (DOWNSTREAM: the provider; UPSTREAM: the "
        "dependent)."
    )
    async def from_ci(self, info: strawberry.Info) -> CI:
        return await _ci(info, self.from_id)

    @strawberry.field(description="The end the failure goes to.")
    async def to_ci(self, info: strawberry.Info) -> CI:
        return await _ci(info, self.to_id)


@strawberry.type(description="What a failure reaches: configuration items and relationships.")
class ImpactGraph:
    nodes: list[ImpactNode] = strawberry.field(
        description="The configuration items reached, nearest first."
    )
    edges: list[ImpactEdge] = strawberry.field(
        description="The relationships between them that lead away from where it started."
    )
