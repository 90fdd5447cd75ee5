"""The consumer of every domain's events that turns them into webhook deliveries: one
delivery row and one `webhooks.deliver` job per matching webhook, in the consumer's
transaction (with its position), so an event is fanned out exactly once and none is lost."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.consumers import EVERY_DOMAIN, EventConsumer
from resolvers.events import Event
from subgraphs.webhooks import service


async def handle(session: AsyncSession, event: Event) -> None:
    await service.fan_out(session, event)


CONSUMER = EventConsumer(name="webhooks.fan-out", domains=EVERY_DOMAIN, handle=handle)
