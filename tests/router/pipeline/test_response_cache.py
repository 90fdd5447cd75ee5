"""The response-cache stage alone: keys, lookups, stores with epochs, and invalidation by a
mutation — over the in-process ResponseCache."""

from __future__ import annotations

from router.caller import Caller
from router.composition import Supergraph
from router.gateway import Gateway
from router.pipeline.response_cache import CachingStage
from router.response_cache import CacheHint, ResponseCache

QUERY = "{ me { id name } }"
CALLER = Caller(tenant="t1", audience="readers")
BODY = {"data": {"me": {"id": "u1", "name": "Ada"}}}


def stage(supergraph: Supergraph, cache: ResponseCache) -> CachingStage:
    hints = {"User": CacheHint(max_age=30)}
    return CachingStage(cache, hints, supergraph.version, capacity=10)


async def test_a_query_answer_is_stored_and_then_served(
    gateway: Gateway, supergraph: Supergraph
) -> None:
    caching = stage(supergraph, ResponseCache())
    prepared = gateway.prepare(QUERY, None, None)
    miss = await caching.lookup(CALLER, prepared, "digest", None, None)
    assert (miss.body, miss.policy.max_age) == (None, 30)
    assert miss.key is not None and miss.key.startswith("t1:")
    await caching.settle(miss, CALLER, prepared, BODY)
    hit = await caching.lookup(CALLER, prepared, "digest", None, None)
    assert (hit.key, hit.body) == (miss.key, BODY)


async def test_an_answer_with_errors_is_not_stored(
    gateway: Gateway, supergraph: Supergraph
) -> None:
    caching = stage(supergraph, ResponseCache())
    prepared = gateway.prepare(QUERY, None, None)
    miss = await caching.lookup(CALLER, prepared, "digest", None, None)
    await caching.settle(miss, CALLER, prepared, {"errors": [{"message": "x"}], **BODY})
    assert (await caching.lookup(CALLER, prepared, "digest", None, None)).body is None


async def test_a_read_overtaken_by_an_invalidation_stores_nothing(
    gateway: Gateway, supergraph: Supergraph
) -> None:
    cache = ResponseCache()
    caching = stage(supergraph, cache)
    prepared = gateway.prepare(QUERY, None, None)
    miss = await caching.lookup(CALLER, prepared, "digest", None, None)
    await cache.invalidate("t1", {"User:u1"})
    await caching.settle(miss, CALLER, prepared, BODY)
    assert len(cache) == 0


async def test_a_mutation_invalidates_the_entities_it_returns(
    gateway: Gateway, supergraph: Supergraph
) -> None:
    cache = ResponseCache()
    caching = stage(supergraph, cache)
    read = gateway.prepare(QUERY, None, None)
    miss = await caching.lookup(CALLER, read, "digest", None, None)
    await caching.settle(miss, CALLER, read, BODY)
    rename = gateway.prepare('mutation { renameUser(id: "u1", name: "Bo") { id } }', None, None)
    write = await caching.lookup(CALLER, rename, "other", None, None)
    assert write.key is None  # mutations are never cached
    await caching.settle(write, CALLER, rename, {"data": {"renameUser": {"id": "u1"}}})
    assert (await caching.lookup(CALLER, read, "digest", None, None)).body is None
