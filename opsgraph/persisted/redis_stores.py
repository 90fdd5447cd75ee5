"""Redis behind the router's APQ document store and the response cache's L2, so that every
process sharing the Redis shares (and invalidates) them.

Response entries expire with their ``maxAge``; each tag is a Redis set naming the entries
that carry it, expiring no sooner than they do. Invalidating a tag deletes its entries and
the set in one transaction."""

from __future__ import annotations

from collections.abc import Collection

import redis.asyncio as redis

APQ_PREFIX = "opsgraph:apq:"
APQ_TTL_SECONDS = 7 * 86400
RESPONSE_PREFIX = "opsgraph:response:"
TAG_PREFIX = "opsgraph:response-tag:"


class RedisDocumentStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def get(self, sha256: str) -> str | None:
        value = await self.client.get(APQ_PREFIX + sha256)
        return value.decode() if isinstance(value, bytes) else value

    async def put(self, sha256: str, text: str) -> None:
        await self.client.set(APQ_PREFIX + sha256, text.encode(), ex=APQ_TTL_SECONDS)


class RedisResponseStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(RESPONSE_PREFIX + key)
        return value.encode() if isinstance(value, str) else value

    async def put(self, key: str, value: bytes, ttl: int, tags: Collection[str]) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(RESPONSE_PREFIX + key, value, ex=ttl)
            for tag in tags:
                pipe.sadd(TAG_PREFIX + tag, key)
                pipe.expire(TAG_PREFIX + tag, ttl, gt=True)
                pipe.expire(TAG_PREFIX + tag, ttl, nx=True)
            await pipe.execute()

    async def invalidate(self, tags: Collection[str]) -> None:
        names = [TAG_PREFIX + tag for tag in tags]
        async with self.client.pipeline(transaction=True) as pipe:
            for name in names:
                pipe.smembers(name)
            members = await pipe.execute()
        keys = {RESPONSE_PREFIX + k.decode() for found in members for k in found}
        if keys or names:
            await self.client.delete(*keys, *names)
