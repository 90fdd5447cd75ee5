"""A read that an invalidation of its own tenant overtook stores nothing; another tenant's
write, or nothing at all, does not hold it back."""

from __future__ import annotations

from router.response_cache import ResponseCache
from router.response_cache.hints import CachePolicy

POLICY = CachePolicy(max_age=30)
BODY = {"data": {"incident": {"title": "Old"}}}


async def test_an_invalidation_of_the_tenant_during_the_read_stops_the_store() -> None:
    cache = ResponseCache()
    epoch = cache.epoch_of("a")
    await cache.invalidate("a", {"Incident:1"})
    assert not await cache.put("a:key", BODY, POLICY, "a", {"Incident:1"}, epoch)
    assert await cache.get("a:key") is None


async def test_another_tenants_write_does_not_hold_a_read_back() -> None:
    cache = ResponseCache()
    epoch = cache.epoch_of("a")
    await cache.invalidate("b", {"Incident:1"})
    assert await cache.put("a:key", BODY, POLICY, "a", {"Incident:1"}, epoch)
    assert await cache.get("a:key") == BODY


async def test_clearing_stops_every_tenants_reads_in_flight() -> None:
    cache = ResponseCache()
    epoch = cache.epoch_of("a")
    cache.clear()
    assert not await cache.put("a:key", BODY, POLICY, "a", {"Incident:1"}, epoch)
