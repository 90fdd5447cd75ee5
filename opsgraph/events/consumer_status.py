"""What operators see and do of the event consumers: each one's status (position, lag,
failures; `opsgraph events status`, and a metrics endpoint's gauges) and the rebuild of a
consumer's read model (`opsgraph events replay NAME`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import consumer_positions as positions
from db.outbox import sequence_bounds
from db.scope import SET_TENANT
from db.tables import tenancy
from resolvers.consumers import EventConsumer

Sessions = async_sessionmaker[AsyncSession]


class ReplayRefused(Exception):
    """The consumer cannot be rebuilt (it declares no `reset`)."""


async def replay(consumer: EventConsumer, owner_sessions: Sessions, app_sessions: Sessions) -> int:
    """Rebuild the consumer's read model: `reset` for every tenant, behind its wall, and the
    position back before the oldest retained event, in one transaction (its position row
    locked, so no replica handles meanwhile). Returns the new position; the runners then
    handle every retained event again."""
    if consumer.reset is None:
        raise ReplayRefused(
            f"consumer {consumer.name} declares no reset: replaying would apply its effects again"
        )
    async with owner_sessions() as session, session.begin():
        await positions.register(session, consumer.name, from_oldest=True)
    async with owner_sessions() as session:
        oldest = (await sequence_bounds(session))[0]
    start = max(oldest - 1, 0)
    async with app_sessions() as session, session.begin():
        await positions.lock_position(session, consumer.name, wait=True)
        for tenant_id in await session.scalars(select(tenancy.Tenant.id)):
            await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
            await consumer.reset(session)
        await positions.set_position(session, consumer.name, start)
    return start


@dataclass(frozen=True)
class ConsumerStatus:
    """How far one consumer has got (what `opsgraph events status` prints and a metrics
    endpoint exposes). `position` is None for a consumer that has not run on this database."""

    name: str
    position: int | None
    latest_seq: int
    lag_events: int
    """Its events after its position (committed and stamped, not handled yet)."""
    lag_seconds: float
    """How long the oldest of those has waited (0 when none)."""
    last_handled_at: datetime | None
    error_count: int
    consecutive_failures: int
    last_error: str | None
    last_error_seq: int | None
    last_error_at: datetime | None


async def consumer_statuses(
    owner_sessions: Sessions, consumers: Sequence[EventConsumer]
) -> list[ConsumerStatus]:
    """The status of each consumer given, in their order."""
    async with owner_sessions() as session:
        latest = (await sequence_bounds(session))[1]
        rows = {row.name: row for row in await positions.positions(session)}
        statuses = []
        for consumer in consumers:
            row = rows.get(consumer.name)
            backlog = (
                await positions.backlog(session, consumer.domains, consumer.kinds, row.last_seq)
                if row is not None
                else positions.Backlog(0, 0.0)
            )
            statuses.append(
                ConsumerStatus(
                    name=consumer.name,
                    position=row.last_seq if row is not None else None,
                    latest_seq=latest,
                    lag_events=backlog.events,
                    lag_seconds=backlog.oldest_seconds,
                    last_handled_at=row.last_handled_at if row is not None else None,
                    error_count=row.error_count if row is not None else 0,
                    consecutive_failures=row.consecutive_failures if row is not None else 0,
                    last_error=row.last_error if row is not None else None,
                    last_error_seq=row.last_error_seq if row is not None else None,
                    last_error_at=row.last_error_at if row is not None else None,
                )
            )
    return statuses
