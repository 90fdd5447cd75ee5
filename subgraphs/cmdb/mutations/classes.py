"""createCiClass, addCiAttribute, removeCiAttribute: a tenant admin's changes to its class
catalogue."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.permissions import requires
from subgraphs.cmdb import class_service, permissions
from subgraphs.cmdb.inputs import AddCiAttributeInput, CreateCiClassInput
from subgraphs.cmdb.types import CiAttribute, CiClass


@strawberry.mutation(
    description="Add a CI class of the tenant's own, optionally below another (it inherits "
    "that one's attributes and relationship rules). CONFLICT for a taken name; "
    "BAD_USER_INPUT for a name that is not PascalCase or an unknown parent.",
    extensions=requires(permissions.ADMIN),
)
async def create_ci_class(info: strawberry.Info, input: CreateCiClassInput) -> CiClass:
    ctx = info.context
    new = class_service.NewClass(
        name=input.name,
        parent_name=input.parent_name,
        label=input.label,
        description=input.description,
    )
    async with audited(info) as (session, audit):
        row = await class_service.create_class(session, ctx.tenant_id, new)
        audit.entity("CiClass", row.id)
        audit.created({"name": row.name, "parentId": str(row.parent_id) if row.parent_id else None})
    return CiClass.from_row(row)


@strawberry.mutation(
    description="Add a typed attribute to a class; its subclasses inherit it. CONFLICT when "
    "the class, a superclass or a subclass has one of that name, or for a required attribute "
    "without a default on a class that has CIs; BAD_USER_INPUT for an unknown class, a bad "
    "name, an ENUM without values, a REFERENCE without its class, or a default it refuses.",
    extensions=requires(permissions.ADMIN),
)
async def add_ci_attribute(
    info: strawberry.Info, class_name: str, input: AddCiAttributeInput
) -> CiAttribute:
    ctx = info.context
    new = class_service.NewAttribute(
        name=input.name,
        type=input.type,
        required=input.required,
        default=input.default,
        enum_values=input.enum_values,
        reference_class_name=input.reference_class_name,
    )
    async with audited(info) as (session, audit):
        row = await class_service.add_attribute(session, ctx.tenant_id, class_name, new)
        audit.entity("CiAttribute", row.id)
        audit.created({"className": class_name, "name": row.name, "type": row.type})
    return CiAttribute.from_row(row)


@strawberry.mutation(
    description="Remove an attribute a class declares; returns its id. CONFLICT while a CI of "
    "the class (or a subclass) has a value for it, and for a built-in attribute; NOT_FOUND "
    "when the class declares no such attribute.",
    extensions=requires(permissions.ADMIN),
)
async def remove_ci_attribute(info: strawberry.Info, class_name: str, name: str) -> strawberry.ID:
    ctx = info.context
    async with audited(info) as (session, audit):
        row = await class_service.remove_attribute(session, ctx.tenant_id, class_name, name)
        audit.entity("CiAttribute", row.id)
        audit.deleted({"className": class_name, "name": row.name, "type": row.type})
    return strawberry.ID(str(row.id))
