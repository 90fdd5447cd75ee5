"""The consumer of every domain's events that turns them into webhook deliveries: one
delivery row and one `webhooks.deliver` job per matching webhook, in the consumer's
transaction (with its position), so an event is fanned out exactly once and none is lost.
Up to PER_TRANSACTION consecutive events share a transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.consumers import EVERY_DOMAIN, EventConsumer
from resolvers.events import Event
from subgraphs.webhooks import service

PER_TRANSACTION = 100


async def handle(session: AsyncSession, event: Event) -> None:
    await service.fan_out(session, event)


async def handle_many(session: AsyncSession, events: Sequence[Event]) -> None:
    await service.fan_out_many(session, events)


CONSUMER = EventConsumer(
    name="webhooks.fan-out",
    domains=EVERY_DOMAIN,
    handle=handle,
    handle_many=handle_many,
    # Under a burst, a commit and five statements per event were the fan-out's pace (about
    # 36 events a second): a transaction's events now take three statements in all.
    per_transaction=PER_TRANSACTION,
)
