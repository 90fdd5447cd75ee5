"""Users: creating and changing them, and the statement their list is read with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Forbidden
from resolvers.locking import locked_row
from resolvers.pagination import SortOrder
from resolvers.principal import BUILTIN_ROLE_NAMES
from subgraphs.identity import events, tables
from subgraphs.identity.rules import clean_email, clean_name, clean_phone
from subgraphs.identity.service.common import Changes, contains, created, insert_unique

BY_NAME = SortOrder("NAME", (tables.User.name, tables.User.id), descending=False)


@dataclass(frozen=True)
class NewUser:
    name: str
    email: str
    phone: str | None
    roles: list[str]


@dataclass(frozen=True)
class UserChange:
    """Changes to a user; None leaves a field alone."""

    name: str | None = None
    phone: str | None = None
    active: bool | None = None


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


async def create_user(
    session: AsyncSession, tenant_id: uuid.UUID, new: NewUser
) -> tuple[Any, Changes]:
    row = tables.User(
        tenant_id=tenant_id,
        name=clean_name(new.name),
        email=clean_email(new.email),
        phone=clean_phone(new.phone),
        roles=await clean_roles(session, tenant_id, new.roles),
    )
    await insert_unique(session, row, f"A user with e-mail {row.email} already exists", "email")
    changes = created(
        {"name": row.name, "email": row.email, "phone": row.phone, "roles": row.roles}
    )
    events.record_change(session, events.USER, row, events.USER_CREATED, changes)
    return row, changes


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
        events.record_user_event(session, row, changes)
    return row, changes


def user_list(
    tenant_id: uuid.UUID,
    *,
    search: str | None = None,
    active: bool | None = None,
    team_id: uuid.UUID | None = None,
) -> Select[Any]:
    """The tenant's users whose name or e-mail contains `search`, with that active flag, in
    that team (each condition only when given)."""
    query = select(tables.User.__table__).where(tables.User.tenant_id == tenant_id)
    if search:
        pattern = contains(search)
        query = query.where(or_(tables.User.name.ilike(pattern), tables.User.email.ilike(pattern)))
    if active is not None:
        query = query.where(tables.User.active.is_(active))
    if team_id is not None:
        members = select(tables.TeamMember.user_id).where(tables.TeamMember.team_id == team_id)
        query = query.where(tables.User.id.in_(members))
    return query
