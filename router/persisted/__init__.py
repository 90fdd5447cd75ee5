"""Persisted operations: automatic persisted queries (APQ, the Apollo Client / urql protocol)
and trusted documents (manifests registered per client; safelist-only clients may run
nothing else). Storage is injected: an APQ :class:`DocumentStore` (in-process LRU here, Redis
in the server) and :class:`TrustedDocuments` (PostgreSQL in the server)."""

from router.persisted.documents import DocumentStore, LruDocumentStore
from router.persisted.resolve import PersistedOperations, PersistedQueryError, ResolvedDocument
from router.persisted.trusted import ClientPolicy, TrustedDocument, TrustedDocuments

__all__ = [
    "ClientPolicy",
    "DocumentStore",
    "LruDocumentStore",
    "PersistedOperations",
    "PersistedQueryError",
    "ResolvedDocument",
    "TrustedDocument",
    "TrustedDocuments",
]
