"""Rate limits per principal: a token bucket per key, in-process by default, or in Redis
(shared by every server process) when REDIS_URL is set.

A bucket holds up to `burst` tokens and refills at `rate` tokens per second; a request takes
one. When the bucket is empty the answer says how long until a token is back."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0


class RateLimiter(Protocol):
    async def take(self, key: str) -> Decision: ...

    async def close(self) -> None: ...


class InProcessLimiter:
    """Buckets in this process; the least recently used are forgotten past `max_keys`."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str) -> Decision:
        now = time.monotonic()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return Decision(allowed, 0.0 if allowed else (1 - tokens) / self.rate)

    async def close(self) -> None:
        self._buckets.clear()


# Atomic refill-and-take in Redis; the key expires once the bucket would be full again.
TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisLimiter:
    def __init__(self, url: str, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._redis = redis.Redis.from_url(url)
        self._take = self._redis.register_script(TAKE)

    async def take(self, key: str) -> Decision:
        allowed, tokens = await self._take(
            keys=[f"opsgraph:ratelimit:{key}"], args=[self.rate, self.burst, time.time()]
        )
        if allowed:
            return Decision(True)
        return Decision(False, (1 - float(tokens)) / self.rate)

    async def close(self) -> None:
        await self._redis.aclose()


def rate_limiter(redis_url: str | None, rate: float, burst: int) -> RateLimiter:
    return RedisLimiter(redis_url, rate, burst) if redis_url else InProcessLimiter(rate, burst)


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least one (Retry-After takes an integer)."""
    return str(max(1, math.ceil(seconds)))
