"""Redis stopped, then hung (SIGSTOP), under a bounded load of reads, mutations and one
subscription against the real server process: no request fails, every committed mutation is
there, the subscription gets every event exactly once, rate limits fall back in-process, and
a hung Redis costs a timeout per cool-down rather than one per request (counted from the
server's log). The run's figures are printed (`pytest -s` shows them)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.e2e.conftest import Server, issuer_of, seed_tenant, start_server, stop_server
from tests.e2e.ws import Client, token, ws_client
from tests.support import RedisServer, free_port

pytestmark = pytest.mark.redis
COOL_DOWN_MS = 500
PHASE_SECONDS = 2.0
WORKERS = 4
MAX_REQUESTS_PER_PHASE = 400  # per worker: the load is bounded in count as well as time
CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id title } }"
READ = "{ incidents(pagination: {first: 10}) { edges { node { id title } } } }"
NEW = "subscription { newIncident { title } }"
TENANT = "faults-redis"  # what the load creates stays out of the shared e2e tenant
OPENED = "Redis unavailable for"
CLOSED = "Redis answers again"


@pytest.fixture
def faulty(
    server_env: dict[str, str], e2e_database_url: str, private_redis: RedisServer
) -> Iterator[tuple[Server, dict[str, str]]]:
    seed_tenant(e2e_database_url, TENANT, scale=1)
    env = {
        **server_env,
        "REDIS_URL": private_redis.url,
        "OPSGRAPH_RATE_LIMIT_PER_SECOND": "1000",  # on, so that its fallback is exercised
        "OPSGRAPH_RATE_LIMIT_BURST": "1000",
        "OPSGRAPH_REDIS_TIMEOUT_MS": "200",
        "OPSGRAPH_REDIS_COOL_DOWN_MS": str(COOL_DOWN_MS),
    }
    running = start_server(["serve"], env, free_port())
    yield running, env
    stop_server(running)


@dataclass
class Run:
    requests: Counter[str] = field(default_factory=Counter)  # per phase
    outcomes: Counter[str] = field(default_factory=Counter)  # "ok" or the failure's code
    committed: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)


async def load(http: httpx.AsyncClient, url: str, run: Run, phase: str) -> None:
    """WORKERS loops of alternating mutation and read for PHASE_SECONDS."""
    deadline = time.monotonic() + PHASE_SECONDS

    async def worker(number: int) -> None:
        for n in range(MAX_REQUESTS_PER_PHASE):
            if time.monotonic() >= deadline:
                return
            title = f"Fault {phase} {number}-{n}"
            body = {"query": CREATE, "variables": {"t": title}} if n % 2 else {"query": READ}
            run.requests[phase] += 1
            try:
                response = await http.post(url, json=body)
            except httpx.TransportError as error:
                run.outcomes[f"transport:{type(error).__name__}"] += 1
                continue
            errors = response.json().get("errors") if response.status_code < 500 else None
            if response.status_code != 200 or errors:
                code = errors[0]["extensions"]["code"] if errors else "-"
                run.outcomes[f"{response.status_code}:{code}"] += 1
                continue
            run.outcomes["ok"] += 1
            if "createIncident" in body["query"]:
                run.committed.append(title)

    await asyncio.gather(*(worker(number) for number in range(WORKERS)))


async def follow(client: Client, run: Run) -> None:
    while True:
        payload = await client.next_payload("new", timeout=3600)
        title = payload["data"]["newIncident"]["title"]
        if title.startswith("Fault "):
            run.received.append(title)


def log_lines(server: Server, marker: str) -> int:
    return sum(marker in line for line in server.log.read_text().splitlines())


async def recovered(server: Server, closed_before: int) -> float:
    """Seconds until the server logs that Redis answers again (the load goes on meanwhile)."""
    started = time.monotonic()
    while log_lines(server, CLOSED) == closed_before:
        assert time.monotonic() - started < 30, "Redis never came back for the server"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_redis_stopped_and_hung_under_load(
    faulty: tuple[Server, dict[str, str]], private_redis: RedisServer
) -> None:
    server, env = faulty
    bearer = token(issuer_of(server, env), "operator", tenant=TENANT)
    run = Run()
    headers = {"authorization": f"Bearer {bearer}"}
    async with (
        httpx.AsyncClient(timeout=20, headers=headers) as http,
        ws_client(server.graphql, token=bearer) as subscriber,
    ):
        await subscriber.subscribe("new", NEW)
        await asyncio.sleep(0.5)  # live before the first change commits
        following = asyncio.create_task(follow(subscriber, run))
        try:
            await load(http, server.graphql, run, "up")

            private_redis.stop()
            await load(http, server.graphql, run, "stopped")
            assert set(run.outcomes) == {"ok"}, run.outcomes
            closed = log_lines(server, CLOSED)
            private_redis.start()
            restart_recovery, _ = await asyncio.gather(
                recovered(server, closed), load(http, server.graphql, run, "restarted")
            )

            opened_before_hang = sum(
                "Timeout" in line for line in server.log.read_text().splitlines() if OPENED in line
            )
            private_redis.pause()
            try:
                await load(http, server.graphql, run, "hung")
            finally:
                closed = log_lines(server, CLOSED)
                private_redis.resume()
            hang_timeouts = (
                sum(
                    "Timeout" in line
                    for line in server.log.read_text().splitlines()
                    if OPENED in line
                )
                - opened_before_hang
            )
            resume_recovery, _ = await asyncio.gather(
                recovered(server, closed), load(http, server.graphql, run, "resumed")
            )

            deadline = time.monotonic() + 30
            while len(run.received) < len(run.committed) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # a repeat, if any, would arrive meanwhile
        finally:
            following.cancel()

    print(
        "\nRedis fault run:"
        f"\n  requests per phase: {dict(run.requests)} (total {sum(run.requests.values())})"
        f"\n  outcomes: {dict(run.outcomes)}"
        f"\n  mutations committed: {len(run.committed)}; events received: {len(run.received)}"
        f" ({len(set(run.received))} distinct)"
        f"\n  Redis timeouts while hung: {hang_timeouts} for {run.requests['hung']} requests"
        f" over {PHASE_SECONDS:.0f}s, cool-down {COOL_DOWN_MS} ms"
        f"\n  recovery (restore to Redis used again): after restart {restart_recovery:.2f}s,"
        f" after SIGCONT {resume_recovery:.2f}s"
    )
    assert set(run.outcomes) == {"ok"}, run.outcomes
    assert min(run.requests[phase] for phase in ("stopped", "hung")) >= 20
    assert sorted(run.received) == sorted(run.committed)  # every event, exactly once
    # One timeout per cool-down window at most (each probe), however many requests came.
    windows = PHASE_SECONDS * 1000 / COOL_DOWN_MS
    assert 1 <= hang_timeouts <= windows + 1
    assert log_lines(server, "rate limits fall back to in-process buckets") >= 2
