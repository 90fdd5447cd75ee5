"""createUser and updateUser."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.identity import events
from subgraphs.identity.inputs import CreateUserInput, UpdateUserInput
from subgraphs.identity.loaders import UserByIdLoader
from subgraphs.identity.permissions import MANAGE
from subgraphs.identity.service import users as service
from subgraphs.identity.types import User


@strawberry.mutation(
    description="Create a user. CONFLICT when the e-mail is taken; BAD_USER_INPUT for a "
    "role that is neither built-in nor one of the tenant's own.",
    extensions=requires(MANAGE),
)
async def create_user(info: strawberry.Info, input: CreateUserInput) -> User:
    ctx = info.context
    new = service.NewUser(name=input.name, email=input.email, phone=input.phone, roles=input.roles)
    async with audited(info) as (session, audit):
        row, changes = await service.create_user(session, ctx.tenant_id, new)
        audit.entity(events.USER, row.id)
        audit.changed(changes)
    return User.from_row(row)


@strawberry.mutation(
    description="Change a user's name, phone or active flag (omitted ones stay). "
    "Deactivating a user refuses their tokens at once, on every server process; "
    "reactivating restores them. NOT_FOUND for an unknown user; BAD_USER_INPUT for an "
    "empty or over-long name or phone; FORBIDDEN for deactivating yourself.",
    extensions=requires(MANAGE),
)
async def update_user(info: strawberry.Info, id: strawberry.ID, input: UpdateUserInput) -> User:
    ctx = info.context
    user_id = parse_id(id)
    change = service.UserChange(name=input.name, phone=input.phone, active=input.active)
    async with audited(info) as (session, audit):
        row, changes = await service.update_user(
            session, ctx.tenant_id, user_id, change, ctx.actor_id
        )
        audit.entity(events.USER, row.id)
        audit.changed(changes)
    # This process refuses the user's tokens from the next request on; the others
    # when the event reaches them.
    ctx.user_changed(ctx.tenant_id, user_id)
    ctx.loaders.get(UserByIdLoader).clear(user_id)
    return User.from_row(row)
