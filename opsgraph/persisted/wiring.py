"""Building the persisted-operation resolver and the response cache from the settings."""

from __future__ import annotations

from opsgraph.events.bus import EventBus
from opsgraph.persisted.invalidation import CacheInvalidation
from opsgraph.persisted.redis_stores import RedisDocumentStore, RedisResponseStore
from opsgraph.persisted.trusted import DatabaseTrustedDocuments
from opsgraph.redis_link import RedisLink
from opsgraph.settings import Settings
from router.caching import ResponseCache
from router.persisted import DocumentStore, LruDocumentStore, PersistedOperations


def persisted_operations(settings: Settings, link: RedisLink | None) -> PersistedOperations:
    """APQ in Redis when configured (shared by every process), else in-process; with
    OPSGRAPH_PERSISTED_ONLY every caller is held to its client's registered documents."""
    apq: DocumentStore = (
        RedisDocumentStore(link) if link else LruDocumentStore(settings.apq_cache_size)
    )
    return PersistedOperations(
        apq,
        DatabaseTrustedDocuments(),
        allow_matching_text=settings.safelist_allow_matching_text,
        persisted_only=settings.persisted_only,
    )


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
