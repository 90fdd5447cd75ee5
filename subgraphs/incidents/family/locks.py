"""Locking several incidents of one change: parents before children, each group in id
order (cascade.py's order), so two family changes never wait on each other in a cycle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import NotFound
from subgraphs.incidents import tables


async def lock(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    groups: Sequence[Sequence[tuple[uuid.UUID, str | None]]],
) -> dict[uuid.UUID, Any]:
    """The incidents named in `groups` ((id, the argument naming it) pairs), locked FOR
    UPDATE group after group, each group in id order; NOT_FOUND naming the argument of the
    first id that names no incident of the tenant (an id named by no argument, None, may be
    missing)."""
    row = tables.Incident
    found: dict[uuid.UUID, Any] = {}
    for group in groups:
        ids = sorted({id for id, _ in group if id not in found})
        if not ids:
            continue
        rows = (
            await session.scalars(
                select(row)
                .where(row.tenant_id == tenant_id, row.id.in_(ids))
                .order_by(row.id)
                .with_for_update()
            )
        ).all()
        found.update((r.id, r) for r in rows)
        for id, argument in group:
            if id not in found and argument is not None:
                raise NotFound(f"No incident with id {id}", id=str(id), argument=argument)
    return found
