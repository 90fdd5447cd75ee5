"""The process's one way to Redis: a client with short timeouts behind one circuit breaker.

Redis is never a dependency of a request's correctness here (rate limits fall back to
in-process buckets, caches miss, events wait in the outbox), but a request still waits for
Redis when it asks. A stopped Redis answers at once (connection refused); a hung one does not
answer at all, so every client the server builds gives up after OPSGRAPH_REDIS_TIMEOUT_MS and
never retries by itself. Every use then goes through the same :class:`CircuitBreaker`: after a
failure, Redis is skipped for OPSGRAPH_REDIS_COOL_DOWN_MS; then one call probes it (the others
keep skipping it until that probe answers) and closes the breaker on success. A hung Redis
thus costs the process one timeout per cool-down, not one per request.

The libraries we looked at (purgatory, pybreaker, circuitbreaker, aiobreaker) let every call
through while half-open, so each cool-down would end with every request in flight waiting
for its own timeout; the single-probe rule is the point, and it is a few lines."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")

# What an unreachable or silent Redis raises (builtins.TimeoutError is an OSError).
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, OSError)
REDIS_ERRORS = (redis.RedisError, OSError)


class RedisUnavailable(redis.ConnectionError):
    """Redis was not asked: it failed recently and the breaker is open."""


class CircuitBreaker:
    """Closed (calls go through), open after a failure (calls are refused for `cool_down`
    seconds), then half-open: one call probes, and its outcome closes or reopens."""

    def __init__(self, cool_down: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.cool_down = cool_down
        self.clock = clock
        self.opened_at: float | None = None
        self.probing = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cool_down else "open"

    def admit(self) -> bool:
        """May a call go to Redis now? In half-open, only the first caller (the probe) may."""
        if self.opened_at is None:
            return True
        if self.probing or self.clock() - self.opened_at < self.cool_down:
            return False
        self.probing = True
        return True

    def succeeded(self) -> bool:
        """Close; True when the breaker was open."""
        was_open = self.opened_at is not None
        self.opened_at, self.probing = None, False
        return was_open

    def failed(self) -> bool:
        """Open (again, for a whole cool-down); True unless it was open with no probe out,
        i.e. this failure is news rather than one more call that was in flight meanwhile."""
        news = self.opened_at is None or self.probing
        self.opened_at, self.probing = self.clock(), False
        return news

    def abandoned(self) -> None:
        """The admitted call ended without telling (cancelled): the next caller probes."""
        self.probing = False


@dataclass
class RedisStats:
    """What Redis trouble has cost since the process started (read by operators and tests)."""

    failures: int = 0  # calls that found Redis unreachable or silent (each opens the breaker)
    timeouts: int = 0  # of those, calls that waited the whole timeout
    skipped: int = 0  # calls not made because the breaker was open
    rate_limit_fallbacks: int = 0  # rate-limit decisions taken by the in-process buckets


class RedisLink:
    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        cool_down: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # No silent retries inside redis-py: a failure must reach the breaker (and the
        # pub/sub pump, which reconnects and tells its consumer to catch up) at once.
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=15,
            socket_keepalive=True,
        )
        self.breaker = CircuitBreaker(cool_down, clock=clock)
        self.stats = RedisStats()

    async def call(self, use: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run `operation` (one exchange with Redis) unless the breaker is open; raises
        :class:`RedisUnavailable` when skipped, and what the operation raised when it failed."""
        if not self.breaker.admit():
            self.stats.skipped += 1
            raise RedisUnavailable(f"Redis skipped for {use}: it failed recently")
        try:
            result = await operation()
        except UNAVAILABLE as error:
            self.failed(use, error)
            raise
        except redis.RedisError:
            self.breaker.succeeded()  # Redis answered, with an error of its own
            raise
        except BaseException:
            self.breaker.abandoned()
            raise
        if self.breaker.succeeded():
            log.warning("Redis answers again (%s); using it again", use)
        return result

    def failed(self, use: str, error: BaseException) -> None:
        """Record a failure seen by `use` (through :meth:`call` or by a long-lived connection
        of its own, such as a pub/sub subscription): Redis is skipped for the cool-down."""
        self.stats.failures += 1
        if isinstance(error, redis.TimeoutError | TimeoutError):
            self.stats.timeouts += 1
        if self.breaker.failed():
            log.warning(
                "Redis unavailable for %s (%s): skipping it for %.2fs",
                use,
                error or type(error).__name__,
                self.breaker.cool_down,
            )

    async def close(self) -> None:
        await self.client.aclose()


class _OverRedis(Protocol):
    link: RedisLink


S = TypeVar("S", bound=_OverRedis)


def tolerant(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T | None]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T | None]]:
    """The method of a store over Redis, through the link's breaker, answering None (a miss,
    or nothing done) while Redis is unavailable; the link logs and counts the failure."""

    @functools.wraps(method)
    async def call(self: S, *args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return await self.link.call(method.__qualname__, lambda: method(self, *args, **kwargs))
        except REDIS_ERRORS:
            return None

    return call
