"""Teams and their members: creating teams, adding and removing members, and the statement
their list is read with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import Conflict, NotFound
from resolvers.pagination import SortOrder
from subgraphs.identity import events, tables
from subgraphs.identity.rules import clean_email, clean_name
from subgraphs.identity.service.common import (
    Changes,
    contains,
    created,
    existing,
    insert_unique,
)

BY_NAME = SortOrder("NAME", (tables.Team.name, tables.Team.id), descending=False)


@dataclass(frozen=True)
class NewTeam:
    name: str
    description: str
    email: str | None


async def create_team(
    session: AsyncSession, tenant_id: uuid.UUID, new: NewTeam
) -> tuple[Any, Changes]:
    row = tables.Team(
        tenant_id=tenant_id,
        name=clean_name(new.name),
        description=new.description.strip(),
        email=clean_email(new.email) if new.email else None,
    )
    await insert_unique(session, row, f"A team named {row.name} already exists", "name")
    changes = created({"name": row.name, "description": row.description, "email": row.email})
    events.record_change(session, events.TEAM, row, events.TEAM_CREATED, changes)
    return row, changes


async def add_team_member(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Any, Changes]:
    """Add a user to a team; adding an existing member changes nothing."""
    team = await existing(session, tables.Team, tenant_id, team_id)
    user = await existing(session, tables.User, tenant_id, user_id)
    if not user.active:
        raise Conflict(f"User {user.email} is inactive and cannot join a team", field="userId")
    added = await session.execute(
        insert(tables.TeamMember)
        .values(tenant_id=tenant_id, team_id=team_id, user_id=user_id)
        .on_conflict_do_nothing()
    )
    if not added.rowcount:  # type: ignore[attr-defined]
        return team, {}
    changes: Changes = {"member": [None, str(user_id)]}
    events.record_change(session, events.TEAM, team, events.TEAM_MEMBER_ADDED, changes)
    return team, changes


async def remove_team_member(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Any, Changes]:
    """Remove a user from a team; NOT_FOUND when they were not a member."""
    team = await existing(session, tables.Team, tenant_id, team_id)
    membership = await session.get(tables.TeamMember, (team_id, user_id))
    if membership is None or membership.tenant_id != tenant_id:
        raise NotFound(f"User {user_id} is not a member of team {team.name}", field="userId")
    await session.delete(membership)
    changes: Changes = {"member": [str(user_id), None]}
    events.record_change(session, events.TEAM, team, events.TEAM_MEMBER_REMOVED, changes)
    return team, changes


def team_list(tenant_id: uuid.UUID, *, search: str | None = None) -> Select[Any]:
    """The tenant's teams whose name contains `search` (when given)."""
    query = select(tables.Team.__table__).where(tables.Team.tenant_id == tenant_id)
    if search:
        query = query.where(tables.Team.name.ilike(contains(search)))
    return query
