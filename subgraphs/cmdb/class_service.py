"""Writes to a tenant's class catalogue: new classes, new attributes, removing an attribute
no CI uses. Inside the caller's unit of work; no Strawberry here."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict, NotFound
from subgraphs.cmdb import rules, tables
from subgraphs.cmdb.catalogue import builtin_id
from subgraphs.cmdb.classes import Attribute, Catalogue, class_named, load_catalogue
from subgraphs.cmdb.enums import CiAttributeType
from subgraphs.cmdb.service import text
from subgraphs.cmdb.validation import AttributeSchema

CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
ATTRIBUTE_NAME = re.compile(r"[a-z][A-Za-z0-9_]*")
ENUM_VALUES_MAX = 100
ENUM_VALUE_MAX = 100


@dataclass(frozen=True)
class NewClass:
    name: str
    parent_name: str | None = None
    label: str | None = None
    description: str = ""


@dataclass(frozen=True)
class NewAttribute:
    name: str
    type: CiAttributeType
    required: bool = False
    default: Any = None
    enum_values: list[str] | None = None
    reference_class_name: str | None = None


def _name(value: str, pattern: re.Pattern[str], field: str, what: str) -> str:
    name = text(value, field, rules.NAME_OF_CLASS_OR_ATTRIBUTE_MAX, required=True) or ""
    if not pattern.fullmatch(name):
        raise BadUserInput(f"{field}: {what}", field=field)
    return name


async def create_class(session: AsyncSession, tenant_id: uuid.UUID, new: NewClass) -> Any:
    """A class of the tenant's own (CONFLICT for a taken name; BAD_USER_INPUT for a name that
    is not PascalCase or an unknown parent)."""
    catalogue = await load_catalogue(session, tenant_id)
    name = _name(new.name, CLASS_NAME, "name", "a class name is PascalCase (Letters and digits)")
    if name in catalogue.by_name:
        raise Conflict(f"A CI class named {name!r} exists", field="name")
    parent = class_named(catalogue, new.parent_name, "parentName") if new.parent_name else None
    row = tables.CiClass(
        tenant_id=tenant_id,
        name=name,
        parent_id=parent.id if parent else None,
        label=text(new.label, "label", rules.LABEL_MAX) or name,
        description=text(new.description, "description", rules.DESCRIPTION_MAX) or "",
        builtin=False,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


def _enum_values(values: list[str] | None) -> list[str]:
    if not values:
        raise BadUserInput("An ENUM attribute needs enumValues", field="enumValues")
    if len(values) > ENUM_VALUES_MAX or len(set(values)) != len(values):
        raise BadUserInput(
            f"enumValues must be at most {ENUM_VALUES_MAX} distinct values", field="enumValues"
        )
    if any(not v or len(v) > ENUM_VALUE_MAX for v in values):
        raise BadUserInput(
            f"each of enumValues must be 1-{ENUM_VALUE_MAX} characters", field="enumValues"
        )
    return values


def _clashing(catalogue: Catalogue, class_id: uuid.UUID, name: str) -> str | None:
    """The class that already has an attribute `name` for `class_id`'s CIs: one above it
    (inherited) or below it (its CIs' subclasses would get it twice)."""
    related = {c.id for c in catalogue.lineage(class_id)} | set(catalogue.descendants(class_id))
    for other in related:
        if any(a.name == name for a in catalogue.own_attributes.get(other, ())):
            return catalogue.classes[other].name
    return None


async def add_attribute(
    session: AsyncSession, tenant_id: uuid.UUID, class_name: str, new: NewAttribute
) -> Any:
    """An attribute of a class (and so of its subclasses). CONFLICT when the class or one
    related to it has one of that name, or when a required attribute without a default is
    added to a class that has CIs (they would not have it); BAD_USER_INPUT for a bad name,
    missing enum values or reference class, or a default the attribute refuses."""
    catalogue = await load_catalogue(session, tenant_id)
    ci_class = class_named(catalogue, class_name, "className")
    name = _name(
        new.name, ATTRIBUTE_NAME, "name", "an attribute name is camelCase (letters, digits, _)"
    )
    clash = _clashing(catalogue, ci_class.id, name)
    if clash is not None:
        raise Conflict(f"The class {clash} has an attribute {name!r} already", field="name")
    enum_values = _enum_values(new.enum_values) if new.type is CiAttributeType.ENUM else None
    reference = None
    if new.type is CiAttributeType.REFERENCE:
        if not new.reference_class_name:
            raise BadUserInput(
                "A REFERENCE attribute needs referenceClassName", field="referenceClassName"
            )
        reference = class_named(catalogue, new.reference_class_name, "referenceClassName")
    attribute = Attribute(
        id=uuid.uuid4(),
        class_id=ci_class.id,
        name=name,
        type=new.type,
        required=new.required,
        default=new.default,
        enum_values=tuple(enum_values) if enum_values is not None else None,
        reference_class_id=reference.id if reference else None,
    )
    if new.default is not None:
        if new.type is CiAttributeType.REFERENCE:
            raise BadUserInput("A REFERENCE attribute has no default", field="default")
        try:
            AttributeSchema.of([attribute]).check({name: new.default})
        except BadUserInput as error:
            raise BadUserInput(f"default: {error.message}", field="default") from None
    ci = tables.ConfigurationItem
    if new.required and new.default is None:
        in_use = await session.scalar(
            select(exists().where(ci.class_id.in_(catalogue.descendants(ci_class.id))))
        )
        if in_use:
            raise Conflict(
                f"{ci_class.name} has configuration items without {name!r}: give the "
                "required attribute a default, or add it optional",
                field="required",
            )
    row = tables.CiAttribute(
        id=attribute.id,
        tenant_id=tenant_id,
        class_id=ci_class.id,
        name=name,
        type=new.type.value,
        required=new.required,
        default=new.default,
        enum_values=enum_values,
        reference_class_id=attribute.reference_class_id,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def remove_attribute(
    session: AsyncSession, tenant_id: uuid.UUID, class_name: str, name: str
) -> Any:
    """Remove a class's own attribute; CONFLICT while a CI of the class (or a subclass) has a
    value for it, or for a built-in attribute. Returns the removed row."""
    catalogue = await load_catalogue(session, tenant_id)
    ci_class = class_named(catalogue, class_name, "className")
    a = tables.CiAttribute
    row = await session.scalar(
        select(a).where(a.tenant_id == tenant_id, a.class_id == ci_class.id, a.name == name)
    )
    if row is None:
        raise NotFound(f"{ci_class.name} declares no attribute {name!r}", field="name")
    if ci_class.builtin and row.id == builtin_id(tenant_id, "attribute", ci_class.name, name):
        raise Conflict(f"{ci_class.name}.{name} is built in", field="name")
    ci = tables.ConfigurationItem
    used = await session.scalar(
        select(func.count())
        .select_from(ci)
        .where(
            ci.tenant_id == tenant_id,
            ci.class_id.in_(catalogue.descendants(ci_class.id)),
            ci.attributes.has_key(name),
        )
    )
    if used:
        raise Conflict(
            f"{used} configuration item(s) have a value for {name!r}", field="name", inUse=used
        )
    await session.delete(row)
    await session.flush()
    return row
