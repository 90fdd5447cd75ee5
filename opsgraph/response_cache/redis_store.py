"""Redis behind the response cache's L2, so that every process sharing the Redis shares (and
invalidates) its entries.

Entries expire with their ``maxAge``; each tag is a Redis set naming the entries that carry
it, expiring no sooner than they do. Invalidating a tag deletes its entries and the set in
one transaction.

Redis is a cache here, never a dependency of correctness for the request in hand: when it is
unreachable (or its breaker open, see redis_link.py) a lookup is a miss and a store or
invalidation is skipped, so reads and mutations keep working while Redis is down or hung.
Redis without persistence restarts empty, so nothing stale survives a restart in L2; the
processes' own L1 entries are dropped when their event subscription reconnects
(invalidation.py). After a hang, L2 keeps its entries: the invalidations skipped meanwhile
happen when the relay publishes the mutations' events, which every process follows."""

from __future__ import annotations

from collections.abc import Collection

from opsgraph.redis_link import RedisLink, tolerant

RESPONSE_PREFIX = "opsgraph:response:"
TAG_PREFIX = "opsgraph:response-tag:"


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
