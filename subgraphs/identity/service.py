"""Identity's rules and writes: validation of users and teams, uniqueness, membership.
No Strawberry here: callers pass plain values and get table rows back."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import identity as tables
from resolvers.errors import BadUserInput, Conflict, NotFound

BUILTIN_ROLES = ("admin", "operator", "viewer")
NAME_MAX = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewUser:
    name: str
    email: str
    phone: str | None
    roles: list[str]


@dataclass(frozen=True)
class NewTeam:
    name: str
    description: str
    email: str | None


def clean_name(value: str, field: str = "name") -> str:
    name = value.strip()
    if not name:
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(name) > NAME_MAX:
        raise BadUserInput(f"{field} must be at most {NAME_MAX} characters", field=field)
    return name


def clean_email(value: str, field: str = "email") -> str:
    email = value.strip()
    if len(email) > 320 or not EMAIL.match(email):
        raise BadUserInput(f"{field} {value!r} is not an e-mail address", field=field)
    return email


def clean_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(BUILTIN_ROLES))
    if unknown:
        raise BadUserInput(
            f"Unknown role(s) {', '.join(unknown)}; known roles: {', '.join(BUILTIN_ROLES)}",
            field="roles",
        )
    return sorted(set(roles))


async def _insert_unique(session: AsyncSession, row: Any, conflict: str, field: str) -> Any:
    """Insert `row`; a unique-constraint violation becomes CONFLICT (the unit of work rolls
    back). Relying on the constraint, not a prior SELECT, keeps concurrent creates honest."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(conflict, field=field) from None
    await session.refresh(row)
    return row


async def create_user(session: AsyncSession, tenant_id: uuid.UUID, new: NewUser) -> Any:
    row = tables.User(
        tenant_id=tenant_id,
        name=clean_name(new.name),
        email=clean_email(new.email),
        phone=new.phone.strip() or None if new.phone else None,
        roles=clean_roles(new.roles),
    )
    return await _insert_unique(
        session, row, f"A user with e-mail {row.email} already exists", "email"
    )


async def create_team(session: AsyncSession, tenant_id: uuid.UUID, new: NewTeam) -> Any:
    row = tables.Team(
        tenant_id=tenant_id,
        name=clean_name(new.name),
        description=new.description.strip(),
        email=clean_email(new.email) if new.email else None,
    )
    return await _insert_unique(session, row, f"A team named {row.name} already exists", "name")


async def _existing(session: AsyncSession, table: Any, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    row = await session.scalar(select(table).where(table.tenant_id == tenant_id, table.id == id))
    if row is None:
        raise NotFound(f"No {table.__name__.lower()} with id {id}", id=str(id))
    return row


async def add_team_member(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID
) -> Any:
    """Add a user to a team; adding an existing member changes nothing."""
    team = await _existing(session, tables.Team, tenant_id, team_id)
    user = await _existing(session, tables.User, tenant_id, user_id)
    if not user.active:
        raise Conflict(f"User {user.email} is inactive and cannot join a team", field="userId")
    await session.execute(
        insert(tables.TeamMember)
        .values(tenant_id=tenant_id, team_id=team_id, user_id=user_id)
        .on_conflict_do_nothing()
    )
    return team


async def remove_team_member(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID
) -> Any:
    """Remove a user from a team; NOT_FOUND when they were not a member."""
    team = await _existing(session, tables.Team, tenant_id, team_id)
    membership = await session.get(tables.TeamMember, (team_id, user_id))
    if membership is None or membership.tenant_id != tenant_id:
        raise NotFound(f"User {user_id} is not a member of team {team.name}", field="userId")
    await session.delete(membership)
    return team
