"""The server side of persisted operations: trusted documents in PostgreSQL, APQ documents in
Redis, manifest registration (`opsgraph persisted register|check`) — the storage behind
router.persisted, which holds the rules (lookup, APQ, trusted documents, the safelist)."""

from __future__ import annotations

from opsgraph.persisted.postgres_trusted import DatabaseTrustedDocuments
from opsgraph.persisted.redis_apq import RedisDocumentStore
from opsgraph.redis_link import RedisLink
from opsgraph.settings import Settings
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
