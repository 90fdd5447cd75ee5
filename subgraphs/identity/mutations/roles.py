"""createRole, updateRole and deleteRole: the tenant's own roles. Each tells this process to
drop what it cached of the tenant's roles."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.identity import events
from subgraphs.identity.inputs import CreateRoleInput, UpdateRoleInput
from subgraphs.identity.permissions import MANAGE_ROLES
from subgraphs.identity.service import roles as service
from subgraphs.identity.types import Role


@strawberry.mutation(
    description="Define a role of this tenant. BAD_USER_INPUT for a malformed name or an "
    "unknown permission; CONFLICT for a built-in or taken name; FORBIDDEN for a "
    "permission the caller does not hold.",
    extensions=requires(MANAGE_ROLES),
)
async def create_role(info: strawberry.Info, input: CreateRoleInput) -> Role:
    ctx = info.context
    new = service.NewRole(
        name=input.name, description=input.description, permissions=input.permissions
    )
    async with audited(info) as (session, audit):
        row, changes = await service.create_role(session, ctx.tenant_id, new, ctx.principal)
        audit.entity(events.ROLE, row.id)
        audit.changed(changes)
    ctx.roles_changed(ctx.tenant_id)
    return Role.from_row(row)


@strawberry.mutation(
    description="Change a role's description and/or permissions (omitted ones stay). "
    "NOT_FOUND for an unknown role; errors as for createRole.",
    extensions=requires(MANAGE_ROLES),
)
async def update_role(info: strawberry.Info, id: strawberry.ID, input: UpdateRoleInput) -> Role:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await service.update_role(
            session,
            ctx.tenant_id,
            parse_id(id),
            description=input.description,
            permissions=input.permissions,
            grantor=ctx.principal,
        )
        audit.entity(events.ROLE, row.id)
        audit.changed(changes)
    ctx.roles_changed(ctx.tenant_id)
    return Role.from_row(row)


@strawberry.mutation(
    description="Delete a role; returns it as it was. Tokens and users naming it keep "
    "the name, which grants nothing any more. NOT_FOUND for an unknown role.",
    extensions=requires(MANAGE_ROLES),
)
async def delete_role(info: strawberry.Info, id: strawberry.ID) -> Role:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await service.delete_role(session, ctx.tenant_id, parse_id(id))
        audit.entity(events.ROLE, row.id)
        audit.changed(changes)
    ctx.roles_changed(ctx.tenant_id)
    return Role.from_row(row)
