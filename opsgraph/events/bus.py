"""Where published events go: an in-process fan-out, or Redis pub/sub across processes.

Both deliver a message to every current subscriber of its channel, in publish order.
A subscriber's queue is bounded: one that stops reading loses messages (the `overflowed`
flag says so) rather than growing memory without bound.

Redis pub/sub forgets what it published while a subscriber was disconnected, so the Redis
subscription reconnects by itself (with backoff) and, each time it is (re)subscribed, puts
RESUBSCRIBED in the queue: the consumer then catches up from the outbox (see hub.py).
Publishing goes through the process's Redis link (short timeout, shared breaker): while Redis
is unavailable a publish fails at once and the relay keeps the events for later."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as redis

from opsgraph.redis_link import REDIS_ERRORS, RedisLink

EVENTS_CHANNEL = "opsgraph.events"
QUEUE_LIMIT = 10_000
RESUBSCRIBED = b""  # no event encodes to empty bytes


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

    def __init__(self, link: RedisLink, *, max_backoff: float = 2.0) -> None:
        self.link = link
        self.max_backoff = max_backoff

    async def publish(self, channel: str, message: bytes) -> None:
        await self.link.call("publish", lambda: self.link.client.publish(channel, message))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        task = asyncio.create_task(self._pump(channel, subscription), name=f"redis:{channel}")
        try:
            yield subscription
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _pump(self, channel: str, subscription: Subscription) -> None:
        """Keep a subscription to `channel` alive across Redis restarts. Its connection waits
        for messages without a timeout and reconnects on its own back-off, but a loss opens
        the shared breaker: requests need not find out again, one timeout each."""
        backoff = 0.05
        while True:
            pubsub = self.link.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                subscription.offer(RESUBSCRIBED)
                backoff = 0.05
                async for message in pubsub.listen():
                    subscription.offer(message["data"])
                raise redis.ConnectionError("subscription ended")
            except REDIS_ERRORS as error:
                self.link.failed(f"the subscription to {channel}", error)
            finally:
                with contextlib.suppress(*REDIS_ERRORS):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def close(self) -> None:
        """Nothing of its own to close: the link belongs to the process."""


def event_bus(link: RedisLink | None) -> EventBus:
    """Redis when a URL is configured, in-process otherwise."""
    return RedisBus(link) if link else InProcessBus()
