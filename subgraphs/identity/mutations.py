"""Mutation root of the identity subgraph: each mutation is one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.identity import service
from subgraphs.identity.inputs import CreateTeamInput, CreateUserInput
from subgraphs.identity.loaders import MembersByTeamIdLoader, TeamsByUserIdLoader
from subgraphs.identity.types import MANAGE, Team, User

MembershipChange = Callable[[AsyncSession, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[Any]]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a user. CONFLICT when the e-mail is taken.",
        extensions=requires(MANAGE),
    )
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> User:
        ctx = info.context
        new = service.NewUser(
            name=input.name, email=input.email, phone=input.phone, roles=input.roles
        )
        async with ctx.db.unit_of_work() as session:
            row = await service.create_user(session, ctx.tenant_id, new)
        return User.from_row(row)

    @strawberry.mutation(
        description="Create a team. CONFLICT when the name is taken.",
        extensions=requires(MANAGE),
    )
    async def create_team(self, info: strawberry.Info, input: CreateTeamInput) -> Team:
        ctx = info.context
        new = service.NewTeam(name=input.name, description=input.description, email=input.email)
        async with ctx.db.unit_of_work() as session:
            row = await service.create_team(session, ctx.tenant_id, new)
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


async def _change_membership(
    info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID, change: MembershipChange
) -> Team:
    ctx = info.context
    team_key, user_key = parse_id(team_id, "teamId"), parse_id(user_id, "userId")
    async with ctx.db.unit_of_work() as session:
        row = await change(session, ctx.tenant_id, team_key, user_key)
    # Memberships read earlier in this request are stale now.
    ctx.loaders.get(MembersByTeamIdLoader).clear(team_key)
    ctx.loaders.get(TeamsByUserIdLoader).clear(user_key)
    return Team.from_row(row)
