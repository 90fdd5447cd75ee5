"""The process's Redis link against a real private redis-server that is stopped, hung
(SIGSTOP) and brought back: the breaker turns an outage into one failure per cool-down, and
rate limits fall back to in-process buckets. Time is a hand-moved clock: the cool-down
passes when the test says so, never by waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from opsgraph.ratelimit import InProcessLimiter, RedisLimiter
from opsgraph.redis_link import CircuitBreaker, RedisLink, RedisUnavailable
from tests.support import RedisServer

pytestmark = pytest.mark.redis
COOL_DOWN = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def pass_cool_down(self) -> None:
        self.now += COOL_DOWN


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def link(private_redis: RedisServer, clock: Clock) -> AsyncIterator[RedisLink]:
    link = RedisLink(private_redis.url, timeout=0.2, cool_down=COOL_DOWN, clock=clock)
    yield link
    await link.close()


async def ping(link: RedisLink) -> bool:
    return bool(await link.call("ping", link.client.ping))


async def outcomes(link: RedisLink, count: int) -> list[str]:
    """`count` concurrent pings: what each came to."""

    async def one() -> str:
        try:
            await ping(link)
        except RedisUnavailable:
            return "skipped"
        except (redis.TimeoutError, TimeoutError):
            return "timeout"
        except (redis.ConnectionError, OSError):
            return "refused"
        return "ok"

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_a_stopped_redis_is_skipped_until_a_probe_finds_it_back(
    link: RedisLink, private_redis: RedisServer, clock: Clock
) -> None:
    assert await ping(link)
    private_redis.stop()
    assert await outcomes(link, 1) == ["refused"]
    assert link.breaker.state == "open"
    assert await outcomes(link, 5) == ["skipped"] * 5  # Redis is not even asked

    private_redis.start()
    assert await outcomes(link, 1) == ["skipped"]  # back, but the cool-down runs on
    clock.pass_cool_down()
    assert link.breaker.state == "half-open"
    assert sorted(await outcomes(link, 3)) == ["ok", "skipped", "skipped"]  # one probe
    assert link.breaker.state == "closed"  # it answered
    assert await outcomes(link, 3) == ["ok"] * 3
    assert (link.stats.failures, link.stats.timeouts, link.stats.skipped) == (1, 0, 8)


async def test_a_hung_redis_costs_one_timeout_per_cool_down(
    link: RedisLink, private_redis: RedisServer, clock: Clock
) -> None:
    assert await ping(link)
    private_redis.pause()
    try:
        # Calls already in flight when Redis hangs wait their timeouts (side by side); once
        # one has failed, the others skip Redis.
        assert await outcomes(link, 1) == ["timeout"]
        assert await outcomes(link, 20) == ["skipped"] * 20
        clock.pass_cool_down()
        # Half-open: one probe goes out; everyone else keeps skipping until it answers.
        second = await outcomes(link, 20)
        assert sorted(second) == ["skipped"] * 19 + ["timeout"]
        assert (link.stats.failures, link.stats.timeouts) == (2, 2)
    finally:
        private_redis.resume()
    clock.pass_cool_down()
    assert await outcomes(link, 1) == ["ok"]
    assert await outcomes(link, 5) == ["ok"] * 5


def test_a_probe_that_never_answered_leaves_the_next_caller_to_probe(clock: Clock) -> None:
    breaker = CircuitBreaker(COOL_DOWN, clock=clock)
    breaker.failed()
    assert not breaker.admit()
    clock.pass_cool_down()
    assert breaker.admit()  # the probe
    assert not breaker.admit()  # while it is out
    breaker.abandoned()  # cancelled, say, with its request
    assert breaker.admit()
    assert breaker.succeeded() and breaker.state == "closed"


async def test_rate_limits_fall_back_to_in_process_buckets(
    link: RedisLink, private_redis: RedisServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisLimiter(link, rate=0.001, burst=3)
    assert (await limiter.take("k")).allowed  # in Redis: two tokens left there
    private_redis.pause()
    try:
        decisions = [await limiter.take("k") for _ in range(4)]
    finally:
        private_redis.resume()
    # Fail open, but not unlimited: the process's own bucket (full) still holds the burst.
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert link.stats.rate_limit_fallbacks == 4
    assert link.stats.timeouts == 1  # the first; the others skipped Redis
    assert "rate limits fall back to in-process buckets" in caplog.text

    clock.pass_cool_down()
    # Redis's bucket again (the timed-out call may have run there on SIGCONT: one token left
    # at least).
    assert (await limiter.take("k")).allowed
    assert link.stats.rate_limit_fallbacks == 4
    assert "rate limits are shared through Redis again" in caplog.text


async def test_a_mutation_takes_one_token_per_root_field(link: RedisLink) -> None:
    for limiter in (RedisLimiter(link, rate=1, burst=5), InProcessLimiter(rate=1, burst=5)):
        assert (await limiter.take("m", 3)).allowed
        refused = await limiter.take("m", 3)  # two left, and nothing is taken
        assert not refused.allowed and 0.9 < refused.retry_after <= 1
        assert (await limiter.take("m", 2)).allowed
