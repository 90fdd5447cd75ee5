"""What operators see and do of the event consumers: each one's status (position, lag,
failures; `opsgraph events status`, and a metrics endpoint's gauges) and the rebuild of a
consumer's read model (`opsgraph events replay NAME`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import consumer_positions as positions
from db.outbox import sequence_bounds
from db.scope import SET_TENANT
from db.tables import tenancy
from resolvers.consumers import EventConsumer

Sessions = async_sessionmaker[AsyncSession]


class Positioned(Protocol):
    """What has a consumer position: a domain's EventConsumer, or the message bus export
    (opsgraph/events/amqp_export.py)."""

    @property
    def name(self) -> str: ...

    @property
    def domains(self) -> frozenset[str]: ...

    @property
    def kinds(self) -> frozenset[str] | None: ...


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
        await positions.register(session, consumer.name, consumer.domains, from_oldest=True)
    async with owner_sessions() as session:
        oldest = (await sequence_bounds(session))[0]
    start = max(oldest - 1, 0)
    async with app_sessions() as session, session.begin():
        await positions.lock_position(session, consumer.name, wait=True)
        for tenant_id in await session.scalars(select(tenancy.Tenant.id)):
            await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
            await consumer.reset(session)
        await positions.rebuild_from(session, consumer.name, start)
    return start


@dataclass(frozen=True)
class ConsumerStatus:
    """How far one consumer has got (what `opsgraph events status` prints and a metrics
    endpoint exposes as gauges)."""

    name: str
    declared: bool
    """Whether a registered domain declares it; a position nothing declares (a consumer
    removed, or of a domain this process does not know) still holds events back from
    pruning, and its lag counts every event."""
    position: int | None
    """The last event it handled; None when it has not run on this database yet."""
    latest_seq: int
    lag_events: int
    """Its events after its position (committed and stamped, not handled yet)."""
    lag_seconds: float
    """How long the oldest of those has waited (0 when none)."""
    last_handled_at: datetime | None
    rebuilds: int
    """How many times `opsgraph events replay` rebuilt it."""
    error_count: int
    """Failed attempts so far."""
    consecutive_failures: int
    """Failed attempts since it last handled an event (above 0: it is stuck on one)."""
    last_error: str | None
    last_error_seq: int | None
    last_error_at: datetime | None


async def consumer_statuses(
    owner_sessions: Sessions, consumers: Sequence[Positioned]
) -> list[ConsumerStatus]:
    """The status of each consumer given, in their order, then of every other position
    recorded in the database, by name."""
    async with owner_sessions() as session:
        latest = (await sequence_bounds(session))[1]
        rows = {row.name: row for row in await positions.positions(session)}
        declared = {consumer.name: consumer for consumer in consumers}
        statuses = []
        for name in [*declared, *(name for name in rows if name not in declared)]:
            consumer = declared.get(name)
            row = rows.get(name)
            if row is None:
                statuses.append(_not_started(name, latest))
                continue
            backlog = await positions.backlog(
                session,
                consumer.domains if consumer is not None else None,
                consumer.kinds if consumer is not None else None,
                row.last_seq,
            )
            statuses.append(
                ConsumerStatus(
                    name=name,
                    declared=consumer is not None,
                    position=row.last_seq,
                    latest_seq=latest,
                    lag_events=backlog.events,
                    lag_seconds=backlog.oldest_seconds,
                    last_handled_at=row.last_handled_at,
                    rebuilds=row.rebuilds,
                    error_count=row.error_count,
                    consecutive_failures=row.consecutive_failures,
                    last_error=row.last_error,
                    last_error_seq=row.last_error_seq,
                    last_error_at=row.last_error_at,
                )
            )
    return statuses


def _not_started(name: str, latest: int) -> ConsumerStatus:
    """A declared consumer without a position: no process serving its domain ran yet."""
    return ConsumerStatus(
        name=name,
        declared=True,
        position=None,
        latest_seq=latest,
        lag_events=0,
        lag_seconds=0.0,
        last_handled_at=None,
        rebuilds=0,
        error_count=0,
        consecutive_failures=0,
        last_error=None,
        last_error_seq=None,
        last_error_at=None,
    )
