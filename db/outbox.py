"""Writing events to the transactional outbox (inside the caller's unit of work)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import events


def record_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    domain: str,
    kind: str,
    entity_type: str,
    entity_id: uuid.UUID,
    payload: dict[str, Any],
) -> events.OutboxEvent:
    """Add an event to the session; it commits or rolls back with the change it describes."""
    event = events.OutboxEvent(
        tenant_id=tenant_id,
        domain=domain,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
    )
    session.add(event)
    return event


NOTIFY_CHANNEL = "opsgraph_outbox"


async def claim_unpublished(session: AsyncSession, limit: int) -> list[events.OutboxEvent]:
    """The oldest unpublished events, locked so that a second relay skips them."""
    result = await session.scalars(
        select(events.OutboxEvent)
        .where(events.OutboxEvent.published_at.is_(None))
        .order_by(events.OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(result)


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(
        update(events.OutboxEvent)
        .where(events.OutboxEvent.id.in_(ids))
        .values(published_at=func.now())
    )
