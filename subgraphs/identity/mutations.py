"""Mutation root of the identity subgraph: each mutation is one audited unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.identity import client_service, service
from subgraphs.identity.api_clients import (
    ApiClient,
    RegisterPersistedOperationsPayload,
    client_as_shown,
)
from subgraphs.identity.inputs import (
    CreateApiClientInput,
    CreateRoleInput,
    CreateTeamInput,
    CreateUserInput,
    RegisterPersistedOperationsInput,
    UpdateApiClientInput,
    UpdateRoleInput,
    UpdateUserInput,
)
from subgraphs.identity.loaders import (
    MembersByTeamIdLoader,
    TeamsByUserIdLoader,
    UserByIdLoader,
)
from subgraphs.identity.permissions import MANAGE, MANAGE_CLIENTS, MANAGE_ROLES
from subgraphs.identity.roles import Role
from subgraphs.identity.types import Team, User

MembershipChange = Callable[
    [AsyncSession, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[tuple[Any, service.Changes]]
]


def role_fields(row: Any) -> dict[str, Any]:
    """What the audit trail records of a role."""
    return {"name": row.name, "description": row.description, "permissions": row.permissions}


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a user. CONFLICT when the e-mail is taken; BAD_USER_INPUT for a "
        "role that is neither built-in nor one of the tenant's own.",
        extensions=requires(MANAGE),
    )
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> User:
        ctx = info.context
        new = service.NewUser(
            name=input.name, email=input.email, phone=input.phone, roles=input.roles
        )
        async with audited(info) as (session, audit):
            row = await service.create_user(session, ctx.tenant_id, new)
            audit.entity("User", row.id)
            audit.created(
                {"name": row.name, "email": row.email, "phone": row.phone, "roles": row.roles}
            )
        return User.from_row(row)

    @strawberry.mutation(
        description="Change a user's name, phone or active flag (omitted ones stay). "
        "Deactivating a user refuses their tokens at once, on every server process; "
        "reactivating restores them. NOT_FOUND for an unknown user; BAD_USER_INPUT for an "
        "empty or over-long name or phone; FORBIDDEN for deactivating yourself.",
        extensions=requires(MANAGE),
    )
    async def update_user(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateUserInput
    ) -> User:
        ctx = info.context
        user_id = parse_id(id)
        change = service.UserChange(name=input.name, phone=input.phone, active=input.active)
        async with audited(info) as (session, audit):
            row, changes = await service.update_user(
                session, ctx.tenant_id, user_id, change, ctx.actor_id
            )
            audit.entity("User", row.id)
            audit.changed(changes)
        # This process refuses the user's tokens from the next request on; the others
        # when the event reaches them.
        ctx.user_changed(ctx.tenant_id, user_id)
        ctx.loaders.get(UserByIdLoader).clear(user_id)
        return User.from_row(row)

    @strawberry.mutation(
        description="Create a team. CONFLICT when the name is taken.",
        extensions=requires(MANAGE),
    )
    async def create_team(self, info: strawberry.Info, input: CreateTeamInput) -> Team:
        ctx = info.context
        new = service.NewTeam(name=input.name, description=input.description, email=input.email)
        async with audited(info) as (session, audit):
            row = await service.create_team(session, ctx.tenant_id, new)
            audit.entity("Team", row.id)
            audit.created({"name": row.name, "description": row.description, "email": row.email})
        return Team.from_row(row)

    @strawberry.mutation(
        description="Add a user to a team (no change when already a member). NOT_FOUND for an "
        "unknown team or user; CONFLICT for an inactive user.",
        extensions=requires(MANAGE),
    )
    async def add_team_member(
        self, info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID
    ) -> Team:
        return await _change_membership(info, team_id, user_id, service.add_team_member)

    @strawberry.mutation(
        description="Remove a user from a team. NOT_FOUND when they are not a member.",
        extensions=requires(MANAGE),
    )
    async def remove_team_member(
        self, info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID
    ) -> Team:
        return await _change_membership(info, team_id, user_id, service.remove_team_member)

    @strawberry.mutation(
        description="Define a role of this tenant. BAD_USER_INPUT for a malformed name or an "
        "unknown permission; CONFLICT for a built-in or taken name; FORBIDDEN for a "
        "permission the caller does not hold.",
        extensions=requires(MANAGE_ROLES),
    )
    async def create_role(self, info: strawberry.Info, input: CreateRoleInput) -> Role:
        ctx = info.context
        new = service.NewRole(
            name=input.name, description=input.description, permissions=input.permissions
        )
        async with audited(info) as (session, audit):
            row = await service.create_role(session, ctx.tenant_id, new, ctx.principal)
            audit.entity("Role", row.id)
            audit.created(role_fields(row))
        ctx.roles_changed(ctx.tenant_id)
        return Role.from_row(row)

    @strawberry.mutation(
        description="Change a role's description and/or permissions (omitted ones stay). "
        "NOT_FOUND for an unknown role; errors as for createRole.",
        extensions=requires(MANAGE_ROLES),
    )
    async def update_role(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateRoleInput
    ) -> Role:
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
            audit.entity("Role", row.id)
            audit.changed(changes)
        ctx.roles_changed(ctx.tenant_id)
        return Role.from_row(row)

    @strawberry.mutation(
        description="Delete a role; returns it as it was. Tokens and users naming it keep "
        "the name, which grants nothing any more. NOT_FOUND for an unknown role.",
        extensions=requires(MANAGE_ROLES),
    )
    async def delete_role(self, info: strawberry.Info, id: strawberry.ID) -> Role:
        ctx = info.context
        async with audited(info) as (session, audit):
            row = await service.delete_role(session, ctx.tenant_id, parse_id(id))
            audit.entity("Role", row.id)
            audit.deleted(role_fields(row))
        ctx.roles_changed(ctx.tenant_id)
        return Role.from_row(row)

    @strawberry.mutation(
        description="Record an API client (an application, by its tokens' client id). "
        "CONFLICT when it exists; BAD_USER_INPUT for a malformed client id.",
        extensions=requires(MANAGE_CLIENTS),
    )
    async def create_api_client(
        self, info: strawberry.Info, input: CreateApiClientInput
    ) -> ApiClient:
        ctx = info.context
        async with audited(info) as (session, audit):
            row = await client_service.create_client(
                session, ctx.tenant_id, input.client_id, input.safelist_only
            )
            audit.entity("ApiClient", row.id)
            audit.created({"clientId": row.client_id, "safelistOnly": row.safelist_only})
            return await client_as_shown(session, row)

    @strawberry.mutation(
        description="Change an API client: safelistOnly takes effect within seconds. "
        "NOT_FOUND for an unknown client.",
        extensions=requires(MANAGE_CLIENTS),
    )
    async def update_api_client(
        self, info: strawberry.Info, client_id: str, input: UpdateApiClientInput
    ) -> ApiClient:
        ctx = info.context
        async with audited(info) as (session, audit):
            row, changes = await client_service.update_client(
                session, ctx.tenant_id, client_id, safelist_only=input.safelist_only
            )
            audit.entity("ApiClient", row.id)
            audit.changed(changes)
            return await client_as_shown(session, row)

    @strawberry.mutation(
        description="Register a client's persisted operations from its manifest (Apollo or "
        "Relay format), validated against the current API schema: BAD_USER_INPUT with each "
        "invalid operation's errors (extensions.problems), registering nothing; NOT_FOUND "
        "for an unknown client; CONFLICT when an id is registered with another text.",
        extensions=requires(MANAGE_CLIENTS),
    )
    async def register_persisted_operations(
        self, info: strawberry.Info, input: RegisterPersistedOperationsInput
    ) -> RegisterPersistedOperationsPayload:
        ctx = info.context
        async with audited(info) as (session, audit):
            row, added, count = await client_service.register_operations(
                session, ctx.tenant_id, input.client_id, input.manifest, ctx.api_schema
            )
            audit.entity("ApiClient", row.id)
            audit.changed({"persistedOperations": [None, added]})
            client = await client_as_shown(session, row)
        return RegisterPersistedOperationsPayload(
            client=client, added_ids=added, operation_count=count
        )


async def _change_membership(
    info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID, change: MembershipChange
) -> Team:
    ctx = info.context
    team_key, user_key = parse_id(team_id, "teamId"), parse_id(user_id, "userId")
    async with audited(info) as (session, audit):
        row, changes = await change(session, ctx.tenant_id, team_key, user_key)
        audit.entity("Team", row.id)
        audit.changed(changes)
    # Memberships read earlier in this request are stale now.
    ctx.loaders.get(MembersByTeamIdLoader).clear(team_key)
    ctx.loaders.get(TeamsByUserIdLoader).clear(user_key)
    return Team.from_row(row)
