"""The server side of the response cache: its shared store (L2) in Redis, and the
invalidation that follows the event bus and the other processes — the storage and wiring
behind router.response_cache, which holds the rules (hints, policies, keys, tags, epochs)."""

from __future__ import annotations

from opsgraph.events.bus import EventBus
from opsgraph.redis_link import RedisLink
from opsgraph.response_cache.invalidation import CacheInvalidation
from opsgraph.response_cache.redis_store import RedisResponseStore
from opsgraph.settings import Settings
from router.response_cache import ResponseCache


def response_cache(
    settings: Settings, link: RedisLink | None, bus: EventBus
) -> tuple[ResponseCache, CacheInvalidation] | None:
    """The response cache (L2 in Redis when configured) and what keeps it honest; ``None``
    when OPSGRAPH_RESPONSE_CACHE_SIZE is 0."""
    if settings.response_cache_size == 0:
        return None
    cache = ResponseCache(
        settings.response_cache_size, shared=RedisResponseStore(link) if link else None
    )
    invalidation = CacheInvalidation(cache, bus)
    cache.announce = invalidation.announce
    return cache, invalidation
