"""Where published events go: an in-process fan-out, or Redis pub/sub across processes.

Both deliver a message to every current subscriber of its channel, in publish order.
A subscriber's queue is bounded: one that stops reading loses its subscription (the
`overflowed` flag says so) rather than growing memory without bound."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as redis

EVENTS_CHANNEL = "opsgraph.events"
QUEUE_LIMIT = 1000


class Subscription:
    def __init__(self, limit: int = QUEUE_LIMIT) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(limit)
        self.overflowed = False

    def offer(self, message: bytes) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> bytes:
        return await self.queue.get()


class EventBus(Protocol):
    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    async def close(self) -> None: ...


class InProcessBus:
    """Fan-out to subscribers in this process (the default without REDIS_URL)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        for subscription in tuple(self._subscribers.get(channel, ())):
            subscription.offer(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        self._subscribers.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers[channel].discard(subscription)

    async def close(self) -> None:
        self._subscribers.clear()


class RedisBus:
    """Redis pub/sub, so that every server process sees every event (REDIS_URL set)."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)

    async def publish(self, channel: str, message: bytes) -> None:
        await self._redis.publish(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)

        async def pump() -> None:
            async for message in pubsub.listen():
                subscription.offer(message["data"])

        task = asyncio.create_task(pump())
        try:
            yield subscription
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


def event_bus(redis_url: str | None) -> EventBus:
    """Redis when a URL is configured, in-process otherwise."""
    return RedisBus(redis_url) if redis_url else InProcessBus()
