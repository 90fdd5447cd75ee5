"""Where published events go: an in-process fan-out, or Redis pub/sub across processes.

Both deliver a message to every current subscriber of its channel, in publish order.
A subscriber's queue is bounded: one that stops reading loses messages (the `overflowed`
flag says so) rather than growing memory without bound.

Redis pub/sub forgets what it published while a subscriber was disconnected, so the Redis
subscription reconnects by itself (with backoff) and, each time it is (re)subscribed, puts
RESUBSCRIBED in the queue: the consumer then catches up from the outbox (see hub.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

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

    def __init__(self, url: str, *, max_backoff: float = 2.0) -> None:
        # No silent retries inside redis-py: a lost connection must reach `_pump` (which
        # reconnects and tells the consumer to catch up) and the relay (which retries).
        self._redis = redis.Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), health_check_interval=15, socket_keepalive=True
        )
        self.max_backoff = max_backoff

    async def publish(self, channel: str, message: bytes) -> None:
        await self._redis.publish(channel, message)

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
        """Keep a subscription to `channel` alive across Redis restarts."""
        backoff = 0.05
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                subscription.offer(RESUBSCRIBED)
                backoff = 0.05
                async for message in pubsub.listen():
                    subscription.offer(message["data"])
                raise redis.ConnectionError("subscription ended")
            except (redis.RedisError, OSError) as error:
                log.warning("Redis subscription to %s lost (%s); reconnecting", channel, error)
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def close(self) -> None:
        await self._redis.aclose()


def event_bus(redis_url: str | None) -> EventBus:
    """Redis when a URL is configured, in-process otherwise."""
    return RedisBus(redis_url) if redis_url else InProcessBus()
