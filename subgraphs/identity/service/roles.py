"""The tenant's own roles: defining, changing and deleting them, and reading them. Built-in
roles are not stored; the principal's role catalogue holds them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.scope import RequestDatabase
from resolvers.locking import locked_row
from resolvers.principal import Principal
from subgraphs.identity import events, tables
from subgraphs.identity.rules import clean_permissions, clean_role_name
from subgraphs.identity.service.common import Changes, created, deleted, insert_unique


@dataclass(frozen=True)
class NewRole:
    name: str
    description: str
    permissions: list[str]


def role_fields(row: Any) -> dict[str, Any]:
    """What the audit trail and the events record of a whole role."""
    return {"name": row.name, "description": row.description, "permissions": row.permissions}


async def create_role(
    session: AsyncSession, tenant_id: uuid.UUID, new: NewRole, grantor: Principal
) -> tuple[Any, Changes]:
    row = tables.Role(
        tenant_id=tenant_id,
        name=clean_role_name(new.name),
        description=new.description.strip(),
        permissions=clean_permissions(new.permissions, grantor),
    )
    await insert_unique(session, row, f"A role named {row.name} already exists", "name")
    changes = created(role_fields(row))
    events.record_change(session, events.ROLE, row, events.ROLE_CREATED, changes)
    return row, changes


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
        events.record_change(session, events.ROLE, row, events.ROLE_UPDATED, changes)
    return row, changes


async def delete_role(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> tuple[Any, Changes]:
    """Delete a role; tokens and users naming it keep the name, which then grants nothing."""
    row = await locked_row(session, tables.Role, tenant_id, id, "role")
    await session.execute(delete(tables.Role).where(tables.Role.id == row.id))
    changes = deleted(role_fields(row))
    events.record_change(session, events.ROLE, row, events.ROLE_DELETED, changes)
    return row, changes


async def tenant_roles(db: RequestDatabase) -> Sequence[Any]:
    """The scope's tenant's own roles, by name."""
    return await db.rows(
        select(tables.Role.__table__)
        .where(tables.Role.tenant_id == db.tenant_id)
        .order_by(tables.Role.name)
    )
