"""The response cache: cache hints per type/field, the policy of an operation (lowest
``maxAge`` wins, ``PRIVATE`` beats ``PUBLIC``), the entity tags of a response, and the
two-level store (in-process LRU, plus a shared store such as Redis) invalidated by tags."""

from router.response_cache.hints import (
    CacheHint,
    CachePolicy,
    CacheScope,
    hints_from_config,
    policy_for,
)
from router.response_cache.store import ResponseCache, SharedResponseStore
from router.response_cache.tags import EntityRef, entities_in

__all__ = [
    "CacheHint",
    "CachePolicy",
    "CacheScope",
    "EntityRef",
    "ResponseCache",
    "SharedResponseStore",
    "entities_in",
    "hints_from_config",
    "policy_for",
]
