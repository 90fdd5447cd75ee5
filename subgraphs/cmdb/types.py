"""The entities and value types the CMDB subgraph owns."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, ClassVar, cast

import strawberry
from strawberry.scalars import JSON

from resolvers.batching import batched
from resolvers.columns import RowFields
from resolvers.ids import try_parse_id
from resolvers.loaders import load_by_id, rows_per_object
from resolvers.node_interface import Node
from resolvers.references import ReferencedById
from subgraphs.cmdb import enums, permissions
from subgraphs.cmdb.graph_fields import GRAPH_NEEDS, CiGraphFields
from subgraphs.cmdb.loaders import (
    AttributesByClassIdLoader,
    ChangesByCiIdLoader,
    CiByIdLoader,
    CiClassByIdLoader,
    ClassesByTenantIdLoader,
    SubclassesByParentIdLoader,
)
from subgraphs.cmdb.references import Team, User

_STATUS = enums.stored(enums.CiStatus)
_ENVIRONMENT = enums.stored(enums.CiEnvironment)
_ATTRIBUTE_TYPE = enums.stored(enums.CiAttributeType)
_KIND = enums.stored(enums.CiChangeKind)


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


async def _class(info: strawberry.Info, id: uuid.UUID | None) -> CiClass | None:
    if id is None:
        return None
    row = await load_by_id(info.context, CiClassByIdLoader, id, CiClass.row_fields.columns(info))
    return CiClass.from_row(row) if row else None


@strawberry.type(description="A typed attribute a CI class declares (its subclasses inherit it).")
class CiAttribute:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="The key in a CI's `attributes`.")
    type: enums.CiAttributeType = strawberry.field(description="The type of its values.")
    required: bool = strawberry.field(description="Whether every CI of the class must have it.")
    default: JSON | None = strawberry.field(description="The value a new CI gets when it has none.")
    enum_values: list[str] | None = strawberry.field(
        description="The allowed values of an ENUM attribute."
    )
    class_id: strawberry.Private[uuid.UUID]
    reference_class_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: Any) -> CiAttribute:
        return cls(
            id=_id(row.id),
            name=row.name,
            type=_ATTRIBUTE_TYPE(row.type),
            required=row.required,
            default=row.default,
            enum_values=row.enum_values,
            class_id=row.class_id,
            reference_class_id=row.reference_class_id,
        )

    @strawberry.field(description="The class that declares it.")
    async def declared_by(self, info: strawberry.Info) -> CiClass:
        found = await _class(info, self.class_id)
        assert found is not None, "an attribute's class is its foreign key"
        return found

    @strawberry.field(
        description="For a REFERENCE attribute: the class its CI must be (or be below)."
    )
    async def reference_class(self, info: strawberry.Info) -> CiClass | None:
        return await _class(info, self.reference_class_id)


@strawberry.type(
    description="A class of configuration items: built-in (Server, Database…) or the tenant's "
    "own. Single inheritance: a class has its parent's attributes and relationship rules."
)
class CiClass:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="Unique within the tenant, e.g. VirtualMachine.")
    label: str = strawberry.field(description="Human name, e.g. Virtual machine.")
    description: str = strawberry.field(description="What its CIs are.")
    builtin: bool = strawberry.field(description="Declared by OpsGraph rather than the tenant.")
    parent_id: strawberry.Private[uuid.UUID | None]
    row_fields: ClassVar[RowFields[CiClass]]

    @classmethod
    def from_row(cls, row: Any) -> CiClass:
        return cls.row_fields.read(row)

    @strawberry.field(description="Its superclass; null for a root class.")
    async def parent(self, info: strawberry.Info) -> CiClass | None:
        return await _class(info, self.parent_id)

    @strawberry.field(description="Its direct subclasses, by name.")
    async def subclasses(self, info: strawberry.Info) -> list[CiClass]:
        loader = info.context.loaders.get(SubclassesByParentIdLoader)
        rows = await loader.load(try_parse_id(self.id))
        return sorted((CiClass.from_row(r) for r in rows), key=lambda c: c.name)

    @strawberry.field(
        description="Its attributes; with inherited (the default) its superclasses' first."
    )
    async def attributes(
        self,
        info: strawberry.Info,
        inherited: Annotated[
            bool, strawberry.argument(description="Include the superclasses' attributes.")
        ] = True,
    ) -> list[CiAttribute]:
        chain: list[uuid.UUID] = [uuid.UUID(str(self.id))]
        if inherited and self.parent_id is not None:
            classes = info.context.loaders.get(ClassesByTenantIdLoader)
            rows = await classes.load(info.context.tenant_id, frozenset({"id", "parent_id"}))
            parents = {row.id: row.parent_id for row in rows}
            parent: uuid.UUID | None = self.parent_id
            while parent is not None:
                chain.append(parent)
                parent = parents.get(parent)
        loader = info.context.loaders.get(AttributesByClassIdLoader)
        per_class = await loader.load_many(list(reversed(chain)))
        return [CiAttribute.from_row(r) for rows in per_class for r in rows]


CiClass.row_fields = RowFields(
    CiClass,
    {
        "id": ("id", str),
        "name": "name",
        "label": "label",
        "description": "description",
        "builtin": "builtin",
        "parent_id": "parent_id",
    },
    needs={"parent": ("parent_id",), "subclasses": (), "attributes": ("parent_id",)},
)


@strawberry.type(description="One field's value before and after a change to a CI.")
class CiFieldChange:
    field: str = strawberry.field(
        description="The field's name; an attribute's is attributes.<name>."
    )
    old_value: JSON | None = strawberry.field(description="Value before (null: none).")
    new_value: JSON | None = strawberry.field(description="Value after (null: none).")


@strawberry.type(description="An entry in a configuration item's history.")
class CiChange:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    kind: enums.CiChangeKind = strawberry.field(description="What kind of change this was.")
    actor: User | None = strawberry.field(description="Who made it, if known.")
    changes: list[CiFieldChange] = strawberry.field(description="What changed.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: Any) -> CiChange:
        return cls(
            id=_id(row.id),
            kind=_KIND(row.kind),
            actor=User.ref(row.actor_id),
            changes=[
                CiFieldChange(field=name, old_value=old, new_value=new)
                for name, (old, new) in row.changes.items()
            ],
            created_at=row.created_at,
        )


async def history_of(
    items: Sequence[ConfigurationItem], info: strawberry.Info
) -> list[list[CiChange]]:
    """`ConfigurationItem.history` of many CIs at once (resolvers/batching.py)."""
    per_item = await rows_per_object(info.context, ChangesByCiIdLoader, items)
    return [[CiChange.from_row(row) for row in rows] for rows in per_item]


@strawberry.federation.type(
    keys=["id"],
    description="A configuration item: anything the service desk manages — a business "
    "service, an application, a server, a switch.",
)
class ConfigurationItem(ReferencedById, CiGraphFields, Node):
    reference_permission = permissions.VIEW
    reference_loader = CiByIdLoader

    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="Unique within the tenant and class.")
    status: enums.CiStatus = strawberry.field(description="Where the CI is in its life.")
    environment: enums.CiEnvironment = strawberry.field(description="Its environment.")
    criticality: int = strawberry.field(description="Tier 1 (most critical) to 4.")
    owner: User | None = strawberry.field(description="Who is accountable for it.")
    support_team: Team | None = strawberry.field(description="The team that supports it.")
    attributes: JSON = strawberry.field(
        description="Its class's attributes with their values, as a JSON object."
    )
    source: str | None = strawberry.field(
        description="The discovery feed that maintains it, if any."
    )
    external_id: str | None = strawberry.field(description="Its id in that feed.")
    redundancy_required: int | None = strawberry.field(
        description="k of n: how many of the CIs it depends on must be up for it to be up "
        "(null: all of them)."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    class_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Its class.")
    async def ci_class(self, info: strawberry.Info) -> CiClass:
        found = await _class(info, self.class_id)
        assert found is not None, "a CI's class is its foreign key"
        return found

    @strawberry.field(description="One attribute's value; null when it has none.")
    def attribute(
        self, name: Annotated[str, strawberry.argument(description="The attribute's name.")]
    ) -> JSON | None:
        values: dict[str, Any] = cast(dict[str, Any], self.attributes)
        return values.get(name)

    @strawberry.field(
        description="Every change made to the CI, oldest first.",
        metadata=batched(history_of, by_id=True),
    )
    async def history(self, info: strawberry.Info) -> list[CiChange]:
        return (await history_of([self], info))[0]


ConfigurationItem.row_fields = RowFields(
    ConfigurationItem,
    {
        "id": ("id", str),
        "name": "name",
        "status": ("status", _STATUS),
        "environment": ("environment", _ENVIRONMENT),
        "criticality": "criticality",
        "owner": ("owner_id", User.ref),
        "support_team": ("support_team_id", Team.ref),
        "attributes": "attributes",
        "source": "source",
        "external_id": "external_id",
        "redundancy_required": "redundancy_required",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "class_id": "class_id",
    },
    needs={"ci_class": ("class_id",), "attribute": ("attributes",), "history": (), **GRAPH_NEEDS},
)
