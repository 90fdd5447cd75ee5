"""PostgreSQL stopped (fast shutdown) and restarted under a bounded load of mutations and a
live subscription, against the real server process on a private embedded cluster.

During the outage every request is HTTP 503 SERVICE_UNAVAILABLE with Retry-After (none is a
200 with INTERNAL_SERVER_ERROR, none a 500). After the restart requests succeed again, every
mutation that answered success is committed, the subscription receives every committed event
exactly once, and the outbox relay is woken by NOTIFY again (its LISTEN connection is back).
Run with -s to see the figures."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.engine import create_engine, session_factory
from db.tenants import create_tenant
from subgraphs.incidents import tables as incidents
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.ws import Client, ws_client
from tests.support import PostgresServer, free_port

TENANT = "faults"
CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id } }"
EVENTS = "subscription { incidentEvents { id kind incident { id } } }"
COUNTS = "subscription { incidentCountsChanged(groupBy: STATUS) { total } }"
COUNT = "{ incidents { totalCount } }"
PROBES = 10  # sequential mutations timed before and after the outage
WORKERS = 2  # concurrent mutation loops across the outage
OUTAGE_SECONDS = 3.0
RELISTENED = "outbox relay LISTEN re-established"


@dataclass
class Answer:
    sent: float
    answered: float
    status: int
    codes: tuple[str, ...]
    incident_id: str | None
    retry_after: str | None


async def create(http: httpx.AsyncClient, url: str, title: str) -> Answer:
    sent = time.monotonic()
    response = await http.post(url, json={"query": CREATE, "variables": {"t": title}})
    body = response.json()
    codes = tuple(e.get("extensions", {}).get("code", "?") for e in body.get("errors") or [])
    created = (body.get("data") or {}).get("createIncident")
    return Answer(
        sent,
        time.monotonic(),
        response.status_code,
        codes,
        created["id"] if created and not codes else None,
        response.headers.get("retry-after"),
    )


class Totals:
    """Consumes the live counts: every message, in order (an error ends the subscription)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.messages: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.messages.append(await self.client.receive(timeout=3600))

    def last_total(self) -> int | None:
        data = self.messages[-1].get("payload", {}).get("data") if self.messages else None
        return data["incidentCountsChanged"]["total"] if data else None

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class Events:
    """Consumes the subscription: each incident id with the instants its events arrived."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.arrivals: dict[str, list[float]] = {}
        self.errors: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            message = await self.client.receive(timeout=3600)
            assert message["type"] == "next", message
            payload = message["payload"]
            if payload.get("errors"):
                self.errors.append(payload)
                continue
            incident = payload["data"]["incidentEvents"]["incident"]["id"]
            self.arrivals.setdefault(incident, []).append(time.monotonic())

    async def wait_for(self, ids: set[str], timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while not ids <= self.arrivals.keys():
                await asyncio.sleep(0.05)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def probe(http: httpx.AsyncClient, url: str, events: Events, label: str) -> list[float]:
    """Commit-to-event latencies (ms) of sequential mutations: from the instant the client
    has the response to the instant the subscriber has the event (negative: it came first)."""
    latencies = []
    for n in range(PROBES):
        answer = await create(http, url, f"{label} {n}")
        assert answer.status == 200 and answer.incident_id, answer
        await events.wait_for({answer.incident_id})
        latencies.append((events.arrivals[answer.incident_id][0] - answer.answered) * 1000)
    return latencies


@pytest.fixture
def server(
    private_postgres: PostgresServer, private_database: str, tmp_path: Path
) -> Iterator[Server]:
    async def tenant() -> None:
        engine = create_engine(private_database, pool_size=1, max_overflow=0)
        async with session_factory(engine)() as session, session.begin():
            await create_tenant(session, TENANT, "Faults")
        await engine.dispose()

    asyncio.run(tenant())
    env = {
        "DATABASE_URL": private_database,
        "OPSGRAPH_DEFAULT_TENANT": TENANT,
        "OPSGRAPH_DATA_DIR": str(tmp_path / "data"),
        "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0",
    }
    running = start_server(["serve"], env, free_port())
    yield running
    stop_server(running)


@contextlib.asynccontextmanager
async def load(http: httpx.AsyncClient, url: str) -> AsyncIterator[list[Answer]]:
    """WORKERS loops of createIncident until the block ends (a bounded load)."""
    answers: list[Answer] = []
    running = True

    async def worker(number: int) -> None:
        n = 0
        while running:
            answers.append(await create(http, url, f"load {number}.{n}"))
            n += 1
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(worker(number)) for number in range(WORKERS)]
    try:
        yield answers
    finally:
        running = False
        await asyncio.gather(*tasks)


async def committed(database_url: str) -> list[str]:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    async with session_factory(engine)() as session:
        rows = await session.scalars(select(incidents.Incident.id))
        ids = [str(i) for i in rows]
    await engine.dispose()
    return ids


async def test_postgres_restart_under_load(
    server: Server, private_postgres: PostgresServer, private_database: str
) -> None:
    url = server.graphql
    async with (
        httpx.AsyncClient(timeout=30) as http,
        ws_client(url) as subscriber,
        ws_client(url) as other,
        ws_client(url) as counter,
    ):
        await subscriber.subscribe("events", EVENTS)
        await counter.subscribe("counts", COUNTS)
        totals = Totals(counter)
        await asyncio.sleep(0.5)  # the subscription is registered with the event hub
        events = Events(subscriber)
        before = await probe(http, url, events, "before")

        async with load(http, url) as answers:
            await asyncio.sleep(0.5)
            stopping = time.monotonic()
            private_postgres.stop()
            stopped = time.monotonic()
            await asyncio.sleep(OUTAGE_SECONDS)
            # Over the WebSocket too: an operation is refused with the code, the socket lives.
            await other.send({"id": "q", "type": "subscribe", "payload": {"query": COUNT}})
            refused = await other.receive()
            starting = time.monotonic()
            private_postgres.start()
            started = time.monotonic()
            async with asyncio.timeout(30):
                while not any(a.sent >= started and a.status == 200 for a in answers):
                    await asyncio.sleep(0.02)
            recovered = min(a.answered for a in answers if a.sent >= started and a.status == 200)
            await asyncio.sleep(0.5)
        after = await probe(http, url, events, "after")

        ids = await committed(private_database)
        await events.wait_for(set(ids))
        await asyncio.sleep(1)  # a repeat, were there one, would arrive meanwhile
        await events.close()
        await totals.close()

    outage = [a for a in answers if a.sent >= stopped and a.answered <= starting]
    edges = [a for a in answers if a not in outage]
    by_outcome = Counter((a.status, a.codes) for a in answers)
    succeeded = {a.incident_id for a in answers if a.incident_id} | set(events.arrivals)
    repeated = {i: len(times) for i, times in events.arrivals.items() if len(times) > 1}
    print(
        f"\nrequests: {len(answers)} under load ({len(outage)} during the outage, "
        f"{len(edges)} around it); by status and codes: {dict(by_outcome)}"
        f"\nevents: {len(ids)} committed, {sum(map(len, events.arrivals.values()))} received, "
        f"{len(repeated)} repeated; stop took {stopped - stopping:.2f}s; "
        f"recovery (restart to first success) {recovered - started:.2f}s"
        f"\ncommit-to-event latency median: before {statistics.median(before):.1f} ms, "
        f"after {statistics.median(after):.1f} ms"
    )
    assert outage, "no request was sent while PostgreSQL was down"
    for answer in outage:
        assert (answer.status, answer.codes) == (503, ("SERVICE_UNAVAILABLE",)), answer
        assert answer.retry_after == "2", answer
    for answer in edges:  # in flight as PostgreSQL stopped or started: either outcome
        assert (answer.status, answer.codes) in ((200, ()), (503, ("SERVICE_UNAVAILABLE",)))
    assert refused["type"] == "error" and refused["id"] == "q", refused
    assert refused["payload"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    # Nothing lost, nothing invented, nothing repeated.
    assert succeeded <= set(ids)
    assert set(events.arrivals) == set(ids) and not repeated and not events.errors
    # The live counts rode out the outage too: never an error, current at the end.
    assert {message["type"] for message in totals.messages} == {"next"}, totals.messages
    assert totals.last_total() == len(ids)
    # The relay listens again: after the restart it is woken by NOTIFY, not only by polling.
    assert server.log.read_text().count(RELISTENED) == 1
