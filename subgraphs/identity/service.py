"""Identity's rules and writes: validation of users, teams and the tenant's own roles,
uniqueness, membership. No Strawberry here: callers pass plain values and get table rows back
(and, where a write may change nothing, the changed fields as `{field: [old, new]}`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict, Forbidden, NotFound
from resolvers.locking import locked_row
from resolvers.principal import BUILTIN_ROLE_NAMES, Principal
from subgraphs.identity import tables
from subgraphs.identity.events import record_user_event

NAME_MAX = 200
PHONE_MAX = 40  # the column's length
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")
Changes = dict[str, list[Any]]


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


@dataclass(frozen=True)
class NewRole:
    name: str
    description: str
    permissions: list[str]


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


async def clean_roles(session: AsyncSession, tenant_id: uuid.UUID, roles: list[str]) -> list[str]:
    """The role names, deduplicated; each built-in or one of the tenant's own roles."""
    unknown = set(roles) - set(BUILTIN_ROLE_NAMES)
    if unknown:
        unknown -= set(
            await session.scalars(
                select(tables.Role.name).where(
                    tables.Role.tenant_id == tenant_id, tables.Role.name.in_(unknown)
                )
            )
        )
    if unknown:
        raise BadUserInput(
            f"Unknown role(s) {', '.join(sorted(unknown))}; built-in roles: "
            f"{', '.join(sorted(BUILTIN_ROLE_NAMES))}, or one of the tenant's own roles",
            field="roles",
        )
    return sorted(set(roles))


async def insert_unique(session: AsyncSession, row: Any, conflict: str, field: str) -> Any:
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
        phone=clean_phone(new.phone),
        roles=await clean_roles(session, tenant_id, new.roles),
    )
    return await insert_unique(
        session, row, f"A user with e-mail {row.email} already exists", "email"
    )


@dataclass(frozen=True)
class UserChange:
    """Changes to a user; None leaves a field alone."""

    name: str | None = None
    phone: str | None = None
    active: bool | None = None


def clean_phone(value: str | None) -> str | None:
    """The trimmed number; empty means none."""
    phone = (value or "").strip()
    if len(phone) > PHONE_MAX:
        raise BadUserInput(f"phone must be at most {PHONE_MAX} characters", field="phone")
    return phone or None


async def update_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    change: UserChange,
    actor_id: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Change a user's name, phone and/or active flag, and record the event that tells every
    process (a deactivated user's tokens stop working at once). Nobody deactivates themselves:
    FORBIDDEN, so that a tenant cannot lose its last administrator by a slip."""
    row = await locked_row(session, tables.User, tenant_id, id, "user")
    if change.active is False and id == actor_id:
        raise Forbidden("You cannot deactivate yourself", field="active")
    wanted = {
        "name": clean_name(change.name) if change.name is not None else row.name,
        "phone": clean_phone(change.phone) if change.phone is not None else row.phone,
        "active": change.active if change.active is not None else row.active,
    }
    changes: Changes = {
        field: [getattr(row, field), value]
        for field, value in wanted.items()
        if getattr(row, field) != value
    }
    if changes:
        for field, (_, value) in changes.items():
            setattr(row, field, value)
        await session.flush()
        await session.refresh(row)
        record_user_event(session, row, changes)
    return row, changes


async def create_team(session: AsyncSession, tenant_id: uuid.UUID, new: NewTeam) -> Any:
    row = tables.Team(
        tenant_id=tenant_id,
        name=clean_name(new.name),
        description=new.description.strip(),
        email=clean_email(new.email) if new.email else None,
    )
    return await insert_unique(session, row, f"A team named {row.name} already exists", "name")


async def _existing(session: AsyncSession, table: Any, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    row = await session.scalar(select(table).where(table.tenant_id == tenant_id, table.id == id))
    if row is None:
        raise NotFound(f"No {table.__name__.lower()} with id {id}", id=str(id))
    return row


async def add_team_member(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Any, Changes]:
    """Add a user to a team; adding an existing member changes nothing."""
    team = await _existing(session, tables.Team, tenant_id, team_id)
    user = await _existing(session, tables.User, tenant_id, user_id)
    if not user.active:
        raise Conflict(f"User {user.email} is inactive and cannot join a team", field="userId")
    added = await session.execute(
        insert(tables.TeamMember)
        .values(tenant_id=tenant_id, team_id=team_id, user_id=user_id)
        .on_conflict_do_nothing()
    )
    return team, {"member": [None, str(user_id)]} if added.rowcount else {}  # type: ignore[attr-defined]


async def remove_team_member(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Any, Changes]:
    """Remove a user from a team; NOT_FOUND when they were not a member."""
    team = await _existing(session, tables.Team, tenant_id, team_id)
    membership = await session.get(tables.TeamMember, (team_id, user_id))
    if membership is None or membership.tenant_id != tenant_id:
        raise NotFound(f"User {user_id} is not a member of team {team.name}", field="userId")
    await session.delete(membership)
    return team, {"member": [str(user_id), None]}


def clean_role_name(value: str) -> str:
    name = value.strip()
    if name in BUILTIN_ROLE_NAMES:
        raise Conflict(f"{name} is a built-in role and cannot be redefined", field="name")
    if not ROLE_NAME.match(name):
        raise BadUserInput(
            "name must be 1-63 characters: a lower-case letter, then lower-case letters, "
            "digits, '.', '_' or '-'",
            field="name",
        )
    return name


def clean_permissions(permissions: list[str], grantor: Principal) -> list[str]:
    """Known permission names only, and only those the granting principal holds itself (a
    role manager cannot hand out more than it has)."""
    known = grantor.catalogue.permissions
    unknown = sorted(set(permissions) - known)
    if unknown:
        raise BadUserInput(
            f"Unknown permission(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            field="permissions",
        )
    beyond = sorted(set(permissions) - grantor.permissions)
    if beyond:
        raise Forbidden(
            f"Cannot grant permission(s) you do not hold: {', '.join(beyond)}",
            field="permissions",
        )
    return sorted(set(permissions))


async def create_role(
    session: AsyncSession, tenant_id: uuid.UUID, new: NewRole, grantor: Principal
) -> Any:
    row = tables.Role(
        tenant_id=tenant_id,
        name=clean_role_name(new.name),
        description=new.description.strip(),
        permissions=clean_permissions(new.permissions, grantor),
    )
    return await insert_unique(session, row, f"A role named {row.name} already exists", "name")


async def update_role(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    *,
    description: str | None,
    permissions: list[str] | None,
    grantor: Principal,
) -> tuple[Any, Changes]:
    """Change a role's description and/or permissions (None leaves one alone)."""
    row = await locked_row(session, tables.Role, tenant_id, id, "role")
    changes: Changes = {}
    if description is not None and description.strip() != row.description:
        changes["description"] = [row.description, description.strip()]
        row.description = description.strip()
    if permissions is not None:
        cleaned = clean_permissions(permissions, grantor)
        if cleaned != sorted(row.permissions):
            changes["permissions"] = [sorted(row.permissions), cleaned]
            row.permissions = cleaned
    if changes:
        await session.flush()
        await session.refresh(row)
    return row, changes


async def delete_role(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    """Delete a role; tokens and users naming it keep the name, which then grants nothing."""
    row = await locked_row(session, tables.Role, tenant_id, id, "role")
    await session.execute(delete(tables.Role).where(tables.Role.id == row.id))
    return row
