"""The real app (opsgraph/server.py) over a private redis-server that is stopped or hung:
every request still answers, mutations commit, rate limits fall back to in-process buckets,
and a hung Redis costs the process one timeout per cool-down, read from the app's own
counters (`app.state.redis.stats`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from opsgraph.redis_link import RedisLink
from subgraphs.incidents.tables import Incident
from tests.support import RedisServer, ServedApp, count_rows, serving_app

pytestmark = pytest.mark.redis
CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id title } }"
READ = "{ incidents(pagination: {first: 5}) { edges { node { id title } } } }"


@pytest.fixture
async def served(
    database_url: str, tmp_path: Path, tenant_id: uuid.UUID, private_redis: RedisServer
) -> AsyncIterator[ServedApp]:
    # A cool-down longer than the test: every failure after the first is a skipped call.
    async with serving_app(
        database_url,
        tmp_path,
        OPSGRAPH_DEFAULT_TENANT=str(tenant_id),
        REDIS_URL=private_redis.url,
        OPSGRAPH_REDIS_TIMEOUT_MS="200",
        OPSGRAPH_REDIS_COOL_DOWN_MS="600000",
    ) as served:
        yield served


async def answers(served: ServedApp, count: int, tag: str) -> list[dict[str, Any]]:
    """`count` concurrent requests, half reads and half mutations: their answers, each of
    which must be a 200 without errors."""

    async def one(n: int) -> dict[str, Any]:
        body = {"query": CREATE, "variables": {"t": f"{tag} {n}"}} if n % 2 else {"query": READ}
        response = await served.client.post("/graphql", json=body)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        assert "errors" not in payload, payload
        return payload

    return list(await asyncio.gather(*(one(n) for n in range(count))))


def link_of(served: ServedApp) -> RedisLink:
    link = served.app.state.redis
    assert isinstance(link, RedisLink)
    return link


async def test_requests_answer_and_mutations_commit_while_redis_is_down(
    served: ServedApp, private_redis: RedisServer, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    await answers(served, 4, "Before")
    private_redis.stop()
    await answers(served, 30, "While down")
    assert await count_rows(owner_sessions, Incident, tenant_id) == 2 + 15
    stats = link_of(served).stats
    assert stats.rate_limit_fallbacks >= 30  # every request took its token in-process
    assert stats.failures >= 1 and stats.skipped >= 30


async def test_a_hung_redis_costs_one_timeout_not_one_per_request(
    served: ServedApp, private_redis: RedisServer, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    await answers(served, 4, "Before")
    private_redis.pause()
    try:
        await answers(served, 1, "First")  # a read: it finds Redis hung
        # Calls in flight at that moment (the relay publishing "Before", say) wait their own
        # timeouts, side by side; they are over within one timeout.
        await asyncio.sleep(0.5)
        stats = link_of(served).stats
        onset = stats.timeouts
        await answers(served, 40, "While hung")
        assert onset >= 1 and stats.timeouts == onset  # none of the forty waited for Redis
        assert stats.rate_limit_fallbacks >= 41
    finally:
        private_redis.resume()
    assert await count_rows(owner_sessions, Incident, tenant_id) == 2 + 20
