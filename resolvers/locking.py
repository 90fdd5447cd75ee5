"""Reading the row a mutation is about to change, locked until its unit of work ends."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import NotFound


async def locked_row(
    session: AsyncSession, table: Any, tenant_id: uuid.UUID, id: uuid.UUID, noun: str
) -> Any:
    """The tenant's `table` row `id`, locked FOR UPDATE; NOT_FOUND ("No <noun> with id …")."""
    row = await session.scalar(
        select(table).where(table.tenant_id == tenant_id, table.id == id).with_for_update()
    )
    if row is None:
        raise NotFound(f"No {noun} with id {id}", id=str(id))
    return row
