"""Redis behind the router's APQ document store and the response cache's L2, so that every
process sharing the Redis shares (and invalidates) them.

Response entries expire with their ``maxAge``; each tag is a Redis set naming the entries
that carry it, expiring no sooner than they do. Invalidating a tag deletes its entries and
the set in one transaction.

Redis is a cache here, never a dependency of correctness for the request in hand: when it is
unreachable (or its breaker open, see redis_link.py) a lookup is a miss and a store or
invalidation is skipped, so reads and mutations keep working while Redis is down or hung.
Redis without persistence restarts empty, so nothing stale survives a restart in L2; the
processes' own L1 entries are dropped when their event subscription reconnects
(invalidation.py). After a hang, L2 keeps its entries: the invalidations skipped meanwhile
happen when the relay publishes the mutations' events, which every process follows."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from opsgraph.redis_link import REDIS_ERRORS, RedisLink

P = ParamSpec("P")
T = TypeVar("T")


class _OverRedis(Protocol):
    link: RedisLink


S = TypeVar("S", bound=_OverRedis)


def tolerant(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T | None]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T | None]]:
    """The method, through the link's breaker, answering None (a miss, or nothing done)
    while Redis is unavailable; the link logs and counts the failure."""

    @functools.wraps(method)
    async def call(self: S, *args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return await self.link.call(method.__qualname__, lambda: method(self, *args, **kwargs))
        except REDIS_ERRORS:
            return None

    return call


APQ_PREFIX = "opsgraph:apq:"
APQ_TTL_SECONDS = 7 * 86400
RESPONSE_PREFIX = "opsgraph:response:"
TAG_PREFIX = "opsgraph:response-tag:"


class RedisDocumentStore:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.client = link.client

    @tolerant
    async def get(self, sha256: str) -> str | None:
        value = await self.client.get(APQ_PREFIX + sha256)
        return value.decode() if isinstance(value, bytes) else value

    @tolerant
    async def put(self, sha256: str, text: str) -> None:
        await self.client.set(APQ_PREFIX + sha256, text.encode(), ex=APQ_TTL_SECONDS)


class RedisResponseStore:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.client = link.client

    @tolerant
    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(RESPONSE_PREFIX + key)
        return value.encode() if isinstance(value, str) else value

    @tolerant
    async def put(self, key: str, value: bytes, ttl: int, tags: Collection[str]) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(RESPONSE_PREFIX + key, value, ex=ttl)
            for tag in tags:
                pipe.sadd(TAG_PREFIX + tag, key)
                pipe.expire(TAG_PREFIX + tag, ttl, gt=True)
                pipe.expire(TAG_PREFIX + tag, ttl, nx=True)
            await pipe.execute()

    @tolerant
    async def invalidate(self, tags: Collection[str]) -> None:
        names = [TAG_PREFIX + tag for tag in tags]
        async with self.client.pipeline(transaction=True) as pipe:
            for name in names:
                pipe.smembers(name)
            members = await pipe.execute()
        keys = {RESPONSE_PREFIX + k.decode() for found in members for k in found}
        if keys or names:
            await self.client.delete(*keys, *names)
