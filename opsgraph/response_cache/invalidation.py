"""Keeping every process's response cache honest.

The process that runs a mutation invalidates its own cache (and the shared L2) before it
answers; it then announces the tags on ``CACHE_CHANNEL`` so the other processes sharing the
bus drop their L1 entries too. Every process also follows the outbox events on
``EVENTS_CHANNEL``: a change committed anywhere (another replica, a job, an alert intake)
invalidates the entries holding that entity and those that read its subgraph. If a
subscription overflows or reconnects, messages may have been lost, so the whole L1 is dropped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

import orjson

from opsgraph.events.bus import EVENTS_CHANNEL, RESUBSCRIBED, EventBus
from opsgraph.redis_link import REDIS_ERRORS, RedisUnavailable
from router.response_cache import ResponseCache
from router.response_cache.tags import change_tags, subgraph_tags

log = logging.getLogger(__name__)
CACHE_CHANNEL = "opsgraph.cache-invalidation"

Handler = Callable[[dict[str, object]], tuple[str, set[str]] | None]


class CacheInvalidation:
    def __init__(self, cache: ResponseCache, bus: EventBus) -> None:
        self.cache = cache
        self.bus = bus
        self.origin = uuid.uuid4().hex
        self.ready = asyncio.Event()  # set once both subscriptions are in place
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = 0

    async def announce(self, tenant: str, tags: frozenset[str]) -> None:
        message = {"origin": self.origin, "tenantId": tenant, "tags": sorted(tags)}
        try:
            await self.bus.publish(CACHE_CHANNEL, orjson.dumps(message))
        except REDIS_ERRORS as error:
            # The mutation stands. Peers missing this drop their whole L1 when their own
            # subscription to the bus reconnects (RESUBSCRIBED below), and the entities'
            # tags when the relay publishes the mutation's events. A skipped call (the
            # breaker open) was logged when Redis failed.
            if not isinstance(error, RedisUnavailable):
                log.warning("cache invalidation not announced (%s)", error)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._follow(EVENTS_CHANNEL, _from_event), name="cache-events"),
            asyncio.create_task(self._follow(CACHE_CHANNEL, self._from_peer), name="cache-peers"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _follow(self, channel: str, handler: Handler) -> None:
        async with self.bus.subscribe(channel) as subscription:
            self._subscribed += 1
            if self._subscribed == 2:
                self.ready.set()
            while True:
                message = await subscription.get()
                if subscription.overflowed or message == RESUBSCRIBED:
                    # Messages may have been lost (a full queue, a Redis reconnection).
                    subscription.overflowed = False
                    self.cache.clear()
                    continue
                try:
                    found = handler(orjson.loads(message))
                    if found is not None:
                        await self.cache.invalidate(*found, announce=False)
                except Exception:
                    log.exception("cache invalidation failed on a %s message", channel)

    def _from_peer(self, message: dict[str, object]) -> tuple[str, set[str]] | None:
        if message.get("origin") == self.origin:
            return None
        tags = message.get("tags")
        return str(message["tenantId"]), set(tags) if isinstance(tags, list) else set()


def _from_event(event: dict[str, object]) -> tuple[str, set[str]] | None:
    entity_type, entity_id = event.get("entityType"), event.get("entityId")
    if not isinstance(entity_type, str):
        return None
    tags = change_tags(entity_type, str(entity_id) if entity_id else None)
    domain = event.get("domain")  # the subgraph that owns the entity
    if isinstance(domain, str):
        tags |= subgraph_tags([domain])
    return str(event["tenantId"]), tags
