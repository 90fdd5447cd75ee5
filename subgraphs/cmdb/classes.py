"""A tenant's CI classes and attributes as one read model (`Catalogue`): inheritance resolved,
each class's attribute values checked by a JSON Schema generated from its definition.

Writes read the catalogue once per unit of work (two statements: classes, attributes); a
discovery feed of a thousand items validates them all against it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput
from subgraphs.cmdb import tables
from subgraphs.cmdb.catalogue import CLASSES, ensure_builtin_classes
from subgraphs.cmdb.enums import CiAttributeType
from subgraphs.cmdb.validation import AttributeSchema


@dataclass(frozen=True)
class Attribute:
    id: uuid.UUID
    class_id: uuid.UUID
    name: str
    type: CiAttributeType
    required: bool
    default: Any
    enum_values: tuple[str, ...] | None
    reference_class_id: uuid.UUID | None


@dataclass(frozen=True)
class CiClassInfo:
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    builtin: bool


@dataclass
class Catalogue:
    """The classes of one tenant and their own attributes, by class id."""

    classes: dict[uuid.UUID, CiClassInfo]
    own_attributes: dict[uuid.UUID, list[Attribute]] = field(default_factory=dict)

    @cached_property
    def by_name(self) -> dict[str, CiClassInfo]:
        return {c.name: c for c in self.classes.values()}

    def lineage(self, class_id: uuid.UUID) -> Iterator[CiClassInfo]:
        """The class, then its superclasses up to the root."""
        current: uuid.UUID | None = class_id
        while current is not None:
            info = self.classes[current]
            yield info
            current = info.parent_id

    def is_a(self, class_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
        return any(c.id == ancestor_id for c in self.lineage(class_id))

    def descendants(self, class_id: uuid.UUID) -> list[uuid.UUID]:
        """The class and every class below it."""
        return [c for c in self.classes if self.is_a(c, class_id)]

    def attributes(self, class_id: uuid.UUID) -> list[Attribute]:
        """Every attribute of the class, inherited ones first (root class's first)."""
        chain = list(self.lineage(class_id))
        return [a for c in reversed(chain) for a in self.own_attributes.get(c.id, ())]

    def schema(self, class_id: uuid.UUID) -> AttributeSchema:
        return AttributeSchema.of(self.attributes(class_id))


async def read_catalogue(session: AsyncSession, tenant_id: uuid.UUID) -> Catalogue:
    c, a = tables.CiClass, tables.CiAttribute
    class_rows = await session.execute(
        select(c.id, c.name, c.parent_id, c.builtin).where(c.tenant_id == tenant_id)
    )
    catalogue = Catalogue({row.id: CiClassInfo(*row) for row in class_rows})
    attribute_rows = await session.execute(
        select(
            a.id,
            a.class_id,
            a.name,
            a.type,
            a.required,
            a.default,
            a.enum_values,
            a.reference_class_id,
        )
        .where(a.tenant_id == tenant_id)
        .order_by(a.created_at, a.name)
    )
    for row in attribute_rows:
        catalogue.own_attributes.setdefault(row.class_id, []).append(
            Attribute(
                id=row.id,
                class_id=row.class_id,
                name=row.name,
                type=CiAttributeType(row.type),
                required=row.required,
                default=row.default,
                enum_values=tuple(row.enum_values) if row.enum_values is not None else None,
                reference_class_id=row.reference_class_id,
            )
        )
    return catalogue


async def load_catalogue(session: AsyncSession, tenant_id: uuid.UUID) -> Catalogue:
    """The tenant's catalogue for a write, the built-in classes materialised first when one
    is missing (the tenant's first CMDB write)."""
    catalogue = await read_catalogue(session, tenant_id)
    if any(builtin.name not in catalogue.by_name for builtin in CLASSES):
        await ensure_builtin_classes(session, tenant_id)
        catalogue = await read_catalogue(session, tenant_id)
    return catalogue


def class_named(catalogue: Catalogue, name: str, argument: str) -> CiClassInfo:
    """The class called `name`; BAD_USER_INPUT naming `argument` when there is none."""
    found = catalogue.by_name.get(name)
    if found is None:
        raise BadUserInput(f"{argument}: no CI class named {name!r}", field=argument)
    return found
