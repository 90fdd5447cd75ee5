"""Whole responses of cacheable queries: an in-process LRU (L1) over an optional shared store
(L2, e.g. Redis, so replicas share entries), both invalidated by entity tags.

Keys hold everything that shapes an answer: the tenant, the caller's audience (a stable hash
of the effective permission set: pruned and masked fields differ by permission) and, for
``PRIVATE`` entries, the principal too — so a private answer never lands in an entry another
caller can read, and the same principal holding fewer permissions (a demoted user, a
reduced-scope token, a custom role) never reads what its earlier, wider permissions stored.
Tags are walled by tenant too: a change in one tenant never touches, nor reveals, another's
entries.

A read that started before an invalidation of its tenant must not store what it read (it may
be the old value): ``epoch_of(tenant)`` counts the tenant's invalidations (and every
``clear``), and ``put`` refuses when it moved. Other tenants' writes do not hold a read back.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from router.caller import Caller
from router.response_cache.hints import CachePolicy, CacheScope

logger = logging.getLogger(__name__)
STATS_LOG_EVERY = 1000


class SharedResponseStore(Protocol):
    """The L2 store: values with a time to live, and tags that delete every value they name."""

    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, value: bytes, ttl: int, tags: Collection[str]) -> None: ...

    async def invalidate(self, tags: Collection[str]) -> None: ...


# Told about every invalidation this process makes, to tell the other processes.
Announce = Callable[[str, frozenset[str]], Awaitable[None]]


@dataclass
class CacheStats:
    l1_hits: int = 0
    l2_hits: int = 0
    misses: int = 0
    stores: int = 0
    invalidations: int = 0

    @property
    def lookups(self) -> int:
        return self.l1_hits + self.l2_hits + self.misses


@dataclass(slots=True)
class _Entry:
    expires_at: float
    body: dict[str, Any]
    tags: frozenset[str] = field(default_factory=frozenset)


class ResponseCache:
    def __init__(
        self,
        capacity: int = 1000,
        *,
        shared: SharedResponseStore | None = None,
        announce: Announce | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.shared = shared
        self.announce = announce
        self.clock = clock
        self.stats = CacheStats()
        self._cleared = 0
        self._epochs: dict[str, int] = {}
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}

    @staticmethod
    def key(
        caller: Caller,
        policy: CachePolicy,
        digest: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        schema_version: str,
    ) -> str | None:
        """The entry key for this request, or ``None`` when it must not be cached."""
        if not policy.cacheable:
            return None
        if policy.scope is CacheScope.PRIVATE:
            if caller.principal is None:
                return None
            who = f"principal:{caller.principal}|audience:{caller.audience}"
        else:
            who = f"audience:{caller.audience}"
        parts = [caller.tenant, who, digest, operation_name, variables or {}, schema_version]
        material = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
        return f"{caller.tenant}:{hashlib.sha256(material).hexdigest()}"

    async def get(self, key: str) -> dict[str, Any] | None:
        """The cached body (L1, then L2), or ``None``."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= now:
            self._drop(key)
            entry = None
        if entry is not None:
            self._entries.move_to_end(key)
            self._count("l1_hits", key)
            return entry.body
        if self.shared is not None:
            raw = await self.shared.get(key)
            if raw is not None:
                stored = orjson.loads(raw)
                if stored["expiresAt"] > now:
                    tags = frozenset(stored["tags"])
                    self._remember(key, _Entry(stored["expiresAt"], stored["body"], tags))
                    self._count("l2_hits", key)
                    return stored["body"]  # type: ignore[no-any-return]
        self._count("misses", key)
        return None

    async def put(
        self,
        key: str,
        body: dict[str, Any],
        policy: CachePolicy,
        tenant: str,
        tags: Collection[str],
        epoch: tuple[int, int],
    ) -> bool:
        """Store ``body`` unless the tenant saw an invalidation since the read began at
        ``epoch`` (``epoch_of(tenant)`` then)."""
        if epoch != self.epoch_of(tenant):
            return False
        walled = frozenset(_walled(tenant, tags))
        expires_at = self.clock() + policy.max_age
        self._remember(key, _Entry(expires_at, body, walled))
        if self.shared is not None:
            value = orjson.dumps({"expiresAt": expires_at, "body": body, "tags": sorted(walled)})
            await self.shared.put(key, value, policy.max_age, walled)
        self.stats.stores += 1
        return True

    async def invalidate(self, tenant: str, tags: Collection[str], *, announce: bool = True) -> int:
        """Drop every entry of ``tenant`` carrying one of ``tags``, here and in L2; tell the
        other processes (through ``announce``) unless this came from them. Returns how many
        L1 entries went."""
        walled = frozenset(_walled(tenant, tags))
        if not walled:
            return 0
        self._epochs[tenant] = self._epochs.get(tenant, 0) + 1
        dropped = 0
        for tag in walled:
            for key in self._by_tag.pop(tag, ()):
                dropped += self._drop(key)
        if self.shared is not None:
            await self.shared.invalidate(walled)
        if announce and self.announce is not None:
            await self.announce(tenant, frozenset(tags))
        self.stats.invalidations += 1
        logger.debug("response cache: invalidated %s (%d entries)", sorted(walled), dropped)
        return dropped

    def clear(self) -> None:
        """Forget every L1 entry (when invalidations may have been missed)."""
        self._cleared += 1
        self._entries.clear()
        self._by_tag.clear()

    def epoch_of(self, tenant: str) -> tuple[int, int]:
        """Moves with every invalidation of ``tenant`` and every ``clear``."""
        return self._cleared, self._epochs.get(tenant, 0)

    def __len__(self) -> int:
        return len(self._entries)

    def _remember(self, key: str, entry: _Entry) -> None:
        self._drop(key)
        self._entries[key] = entry
        for tag in entry.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        if len(self._entries) > self.capacity:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> int:
        entry = self._entries.pop(key, None)
        if entry is None:
            return 0
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]
        return 1

    def _count(self, outcome: str, key: str) -> None:
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        logger.debug("response cache %s: %s", outcome.removesuffix("es"), key)
        if self.stats.lookups % STATS_LOG_EVERY == 0:
            s = self.stats
            logger.info(
                "response cache: %d lookups, %d L1 hits, %d L2 hits, %d misses, %d stores, "
                "%d invalidations",
                s.lookups, s.l1_hits, s.l2_hits, s.misses, s.stores, s.invalidations,
            )  # fmt: skip


def _walled(tenant: str, tags: Collection[str]) -> list[str]:
    return [f"{tenant}|{tag}" for tag in tags]
