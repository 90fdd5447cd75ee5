"""Watchers: users (identity's) following an incident. Watching is idempotent: watching an
incident one watches, or unwatching one one does not, changes nothing and records nothing.
No Strawberry here."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.changes import Changes, Diff
from subgraphs.incidents import service
from subgraphs.incidents.enums import ChangeKind
from subgraphs.incidents.family.tables import IncidentWatcher


async def watch(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Any, Changes]:
    row = await service.get_for_update(session, tenant_id, id)
    added = await session.scalar(
        insert(IncidentWatcher)
        .values(tenant_id=tenant_id, incident_id=id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["tenant_id", "incident_id", "user_id"])
        .returning(IncidentWatcher.id)
    )
    if added is None:
        return row, {}
    return await _touched(session, row, {"watcher": [None, str(user_id)]}, user_id)


async def unwatch(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Any, Changes]:
    row = await service.get_for_update(session, tenant_id, id)
    removed = await session.scalar(
        delete(IncidentWatcher)
        .where(
            IncidentWatcher.tenant_id == tenant_id,
            IncidentWatcher.incident_id == id,
            IncidentWatcher.user_id == user_id,
        )
        .returning(IncidentWatcher.id)
    )
    if removed is None:
        return row, {}
    return await _touched(session, row, {"watcher": [str(user_id), None]}, user_id)


async def watcher_ids(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> list[str]:
    found = await session.scalars(
        select(IncidentWatcher.user_id)
        .where(IncidentWatcher.tenant_id == tenant_id, IncidentWatcher.incident_id == id)
        .order_by(IncidentWatcher.user_id)
    )
    return [str(user) for user in found]


async def move_watchers(
    session: AsyncSession, tenant_id: uuid.UUID, source: uuid.UUID, target: uuid.UUID
) -> tuple[list[str], list[str], list[str]]:
    """Move `source`'s watchers to `target` (one watching both stays once); answers the
    moved ones, and `target`'s watchers before and after."""
    moved = await watcher_ids(session, tenant_id, source)
    before = await watcher_ids(session, tenant_id, target)
    if moved:
        await session.execute(
            insert(IncidentWatcher)
            .from_select(
                ["tenant_id", "incident_id", "user_id"],
                select(
                    IncidentWatcher.tenant_id,
                    literal(target, IncidentWatcher.incident_id.type),
                    IncidentWatcher.user_id,
                ).where(
                    IncidentWatcher.tenant_id == tenant_id, IncidentWatcher.incident_id == source
                ),
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "incident_id", "user_id"])
        )
        await session.execute(
            delete(IncidentWatcher).where(
                IncidentWatcher.tenant_id == tenant_id, IncidentWatcher.incident_id == source
            )
        )
    return moved, before, sorted({*before, *moved})


async def _touched(
    session: AsyncSession, row: Any, changes: Changes, actor: uuid.UUID
) -> tuple[Any, Changes]:
    row.updated_at = func.now()
    await session.flush()
    await session.refresh(row)
    service.record_change(session, row, ChangeKind.WATCHERS_CHANGED, Diff(changes), actor)
    return row, changes
