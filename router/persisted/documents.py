"""Where APQ documents live between requests: any store of text by SHA-256."""

from __future__ import annotations

from typing import Protocol

from router.planning.cache import LruCache


class DocumentStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, text: str) -> None: ...


class LruDocumentStore:
    """The in-process store (no Redis configured): bounded, least recently used goes first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._documents: LruCache[str, str] = LruCache(capacity)

    async def get(self, sha256: str) -> str | None:
        return self._documents.get(sha256)

    async def put(self, sha256: str, text: str) -> None:
        self._documents.put(sha256, text)
