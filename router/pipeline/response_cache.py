"""Stage 9: the response cache around execution.

Before execution: the operation's cache policy (cached per operation), the entry's key (none
for what must not be cached) and a lookup; on a miss, the tenant's epoch, so that a read an
invalidation overtook stores nothing. After execution: a mutation invalidates what it
changed — before the answer goes out, so the writer's next read is never served the old
value —, and a query's answer without errors is stored, tagged with the entities it holds
and the subgraphs it read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import OperationType

from router.caller import Caller
from router.pipeline.results import Prepared
from router.planning import LruCache, NormalizedOperation
from router.planning.cache import OperationKey
from router.response_cache import CachePolicy, ResponseCache, entities_in, policy_for
from router.response_cache.hints import CacheHint
from router.response_cache.tags import change_tags, entry_tags, subgraph_tags


@dataclass(frozen=True, slots=True)
class Lookup:
    """A lookup's outcome: the ``body`` found, or the ``key`` to store under (``None``: not
    cacheable) and the tenant's ``epoch`` when the read began."""

    policy: CachePolicy
    key: str | None
    body: dict[str, Any] | None = None
    epoch: tuple[int, int] = (0, 0)


class CachingStage:
    """Keys, lookups, stores and invalidations of ``cache`` under ``hints``."""

    def __init__(
        self, cache: ResponseCache, hints: Mapping[str, CacheHint], version: str, capacity: int
    ) -> None:
        self.cache = cache
        self.hints = dict(hints)
        self.version = version
        self.policies: LruCache[OperationKey, CachePolicy] = LruCache(capacity)

    def policy(self, key: OperationKey, operation: NormalizedOperation) -> CachePolicy:
        """The operation's cache policy, computed once per operation key."""
        policy = self.policies.get(key)
        if policy is None:
            policy = policy_for(operation, self.hints)
            self.policies.put(key, policy)
        return policy

    async def lookup(
        self,
        caller: Caller,
        prepared: Prepared,
        digest: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> Lookup:
        version = self.version
        policy = self.policy((digest, operation_name, version), prepared.operation)
        cache = self.cache
        key = cache.key(caller, policy, digest, operation_name, variables, version)
        if key is not None:
            cached = await cache.get(key)
            if cached is not None:
                return Lookup(policy, key, cached)
        return Lookup(policy, key, epoch=cache.epoch_of(caller.tenant))

    async def settle(
        self, lookup: Lookup, caller: Caller, prepared: Prepared, body: dict[str, Any]
    ) -> None:
        """Invalidate what a mutation changed, or store a query's answer."""
        operation = prepared.operation
        entities = entities_in(operation, body["data"])
        read_from = subgraph_tags(prepared.plan.subgraphs)
        if operation.kind == OperationType.MUTATION:
            tags = set(read_from)
            for entity in entities:
                tags |= change_tags(entity.type_name, entity.id)
            await self.cache.invalidate(caller.tenant, tags)
        elif lookup.key is not None and "errors" not in body:
            tags = entry_tags(entities) | read_from
            await self.cache.put(lookup.key, body, lookup.policy, caller.tenant, tags, lookup.epoch)
