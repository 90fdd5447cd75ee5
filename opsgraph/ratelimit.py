"""Rate limits per principal: a token bucket per key, in-process by default, or in Redis
(shared by every server process) when REDIS_URL is set.

A bucket holds up to `burst` tokens and refills at `rate` tokens per second; a request takes
one, a mutation one per root field (mutation_charges.py). When the bucket holds too few the
answer says how long until enough are back.

The Redis buckets fail open: while Redis is unavailable each process decides with buckets of
its own, so a caller may get up to one burst per process until Redis is back."""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from opsgraph.redis_link import REDIS_ERRORS, RedisLink
from resolvers.principal import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0


class RateLimiter(Protocol):
    async def take(self, key: str, cost: int = 1) -> Decision: ...

    async def close(self) -> None: ...


class InProcessLimiter:
    """Buckets in this process; the least recently used are forgotten past `max_keys`."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, cost: int = 1) -> Decision:
        now = time.monotonic()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return Decision(allowed, 0.0 if allowed else (cost - tokens) / self.rate)

    async def close(self) -> None:
        self._buckets.clear()


# Atomic refill-and-take in Redis; the key expires once the bucket would be full again.
TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisLimiter:
    """Buckets in Redis, shared by every process; the process's own buckets while it is not."""

    def __init__(self, link: RedisLink, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.link = link
        self.fallback = InProcessLimiter(rate, burst)
        self._take = link.client.register_script(TAKE)
        self._degraded = False

    async def take(self, key: str, cost: int = 1) -> Decision:
        try:
            allowed, tokens = await self.link.call(
                "rate limits",
                lambda: self._take(
                    keys=[f"opsgraph:ratelimit:{key}"],
                    args=[self.rate, self.burst, time.time(), cost],
                ),
            )
        except REDIS_ERRORS:
            self.link.stats.rate_limit_fallbacks += 1
            if not self._degraded:
                self._degraded = True
                log.warning("rate limits fall back to in-process buckets while Redis is away")
            return await self.fallback.take(key, cost)
        if self._degraded:
            self._degraded = False
            log.warning("rate limits are shared through Redis again")
        if allowed:
            return Decision(True)
        return Decision(False, (cost - float(tokens)) / self.rate)

    async def close(self) -> None:
        await self.fallback.close()


def rate_limiter(link: RedisLink | None, rate: float, burst: int) -> RateLimiter:
    return RedisLimiter(link, rate, burst) if link else InProcessLimiter(rate, burst)


async def take_each(limiter: RateLimiter, keys: list[str]) -> Decision:
    """A token from every bucket a request counts against; the first refusal wins."""
    for key in keys:
        decision = await limiter.take(key)
        if not decision.allowed:
            return decision
    return Decision(True)


def limit_keys(principal: Principal, address: str) -> list[str]:
    """The buckets a caller's requests count against: per user for token holders (and per
    client application, which all its users share); per client address for anonymous callers."""
    if not principal.authenticated:
        return [f"{principal.tenant_id}:anonymous:{address}"]
    keys = [f"{principal.tenant_id}:user:{principal.subject}"]
    if principal.client_id:
        keys.append(f"{principal.tenant_id}:client:{principal.client_id}")
    return keys


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least one (Retry-After takes an integer)."""
    return str(max(1, math.ceil(seconds)))
