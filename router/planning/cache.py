"""Bounded LRU caches for parsed documents and query plans.

Keys always include the supergraph version, so a recomposed schema can never be served a
document validated or a plan built against the previous one.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small least-recently-used mapping with a fixed capacity (single event loop use)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The cached value (marking it recently used) or ``None``."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the least recently used entry when full."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def document_hash(query: str) -> str:
    """SHA-256 of the document text; the same digest persisted queries use."""
    return hashlib.sha256(query.encode()).hexdigest()


DocumentKey = tuple[str, str]  # (document hash, supergraph version)
OperationKey = tuple[str, str | None, str]  # (document hash, operation name, supergraph version)
# An operation key plus the coordinates pruned for the caller (see planning.pruning).
PlanKey = tuple[str, str | None, str, tuple[str, ...]]
