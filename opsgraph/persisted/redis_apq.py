"""Redis behind the router's APQ document store, so that every process sharing the Redis
shares the documents clients registered by hash. While Redis is unavailable a lookup is a
miss (the client sends the text again) and a store is skipped (redis_link.tolerant)."""

from __future__ import annotations

from opsgraph.redis_link import RedisLink, tolerant

APQ_PREFIX = "opsgraph:apq:"
APQ_TTL_SECONDS = 7 * 86400


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
