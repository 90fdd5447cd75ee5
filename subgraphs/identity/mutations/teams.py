"""createTeam, and addTeamMember and removeTeamMember."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.identity import events
from subgraphs.identity.inputs import CreateTeamInput
from subgraphs.identity.loaders import MembersByTeamIdLoader, TeamsByUserIdLoader
from subgraphs.identity.permissions import MANAGE
from subgraphs.identity.service import teams as service
from subgraphs.identity.service.common import Changes
from subgraphs.identity.types import Team

MembershipChange = Callable[
    [AsyncSession, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[tuple[Any, Changes]]
]


@strawberry.mutation(
    description="Create a team. CONFLICT when the name is taken.",
    extensions=requires(MANAGE),
)
async def create_team(info: strawberry.Info, input: CreateTeamInput) -> Team:
    ctx = info.context
    new = service.NewTeam(name=input.name, description=input.description, email=input.email)
    async with audited(info) as (session, audit):
        row, changes = await service.create_team(session, ctx.tenant_id, new)
        audit.entity(events.TEAM, row.id)
        audit.changed(changes)
    return Team.from_row(row)


@strawberry.mutation(
    description="Add a user to a team (no change when already a member). NOT_FOUND for an "
    "unknown team or user; CONFLICT for an inactive user.",
    extensions=requires(MANAGE),
)
async def add_team_member(
    info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID
) -> Team:
    return await _change_membership(info, team_id, user_id, service.add_team_member)


@strawberry.mutation(
    description="Remove a user from a team. NOT_FOUND when they are not a member.",
    extensions=requires(MANAGE),
)
async def remove_team_member(
    info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID
) -> Team:
    return await _change_membership(info, team_id, user_id, service.remove_team_member)


async def _change_membership(
    info: strawberry.Info, team_id: strawberry.ID, user_id: strawberry.ID, change: MembershipChange
) -> Team:
    ctx = info.context
    team_key, user_key = parse_id(team_id, "teamId"), parse_id(user_id, "userId")
    async with audited(info) as (session, audit):
        row, changes = await change(session, ctx.tenant_id, team_key, user_key)
        audit.entity(events.TEAM, row.id)
        audit.changed(changes)
    # Memberships read earlier in this request are stale now.
    ctx.loaders.get(MembersByTeamIdLoader).clear(team_key)
    ctx.loaders.get(TeamsByUserIdLoader).clear(user_key)
    return Team.from_row(row)
