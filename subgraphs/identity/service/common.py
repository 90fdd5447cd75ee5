"""What identity's service modules share: the changed-fields shape, inserts that turn a
unique violation into CONFLICT, finding a row of the tenant or NOT_FOUND, and search
patterns."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import Conflict, NotFound

Changes = dict[str, list[Any]]


def created(values: Mapping[str, Any]) -> Changes:
    """A new entity's changes: every field goes from nothing to its value."""
    return {name: [None, value] for name, value in values.items()}


def deleted(values: Mapping[str, Any]) -> Changes:
    """A removed entity's changes: every field goes from its value to nothing."""
    return {name: [value, None] for name, value in values.items()}


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


async def existing(session: AsyncSession, table: Any, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    row = await session.scalar(select(table).where(table.tenant_id == tenant_id, table.id == id))
    if row is None:
        raise NotFound(f"No {table.__name__.lower()} with id {id}", id=str(id))
    return row


def contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
