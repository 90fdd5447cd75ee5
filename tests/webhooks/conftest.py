"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 (receiver.py), tiny retry
intervals through the webhook settings, the fan-out consumer run on demand, and the
deliveries' job runner (started per test, so a test can restart it)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsgraph.domains import REGISTRY
from opsgraph.events.consumers import ConsumerRunner
from opsgraph.jobs.runner import JobRunners
from subgraphs.identity import schema as identity_schema
from subgraphs.incidents import schema as incidents_schema
from subgraphs.webhooks import schema as webhooks_schema
from tests.support import Subgraph
from tests.webhooks.receiver import Receiver

Sessions = async_sessionmaker[AsyncSession]
SETTINGS = {
    "OPSGRAPH_WEBHOOK_ALLOW_PRIVATE": "true",
    "OPSGRAPH_WEBHOOK_RETRY_BASE_MS": "50",
    "OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS": "3600",
    "OPSGRAPH_WEBHOOK_DISABLE_AFTER_SECONDS": "0",
    "OPSGRAPH_WEBHOOK_TIMEOUT_MS": "2000",
}
CREATE = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  secret webhook { id url events active filter { field in } } } }"""
DELIVERIES = """query($id: ID!) { webhookDeliveries(webhookId: $id) { edges { node {
  id status attempts eventType entityId lastError
  attemptLog { attempt outcome statusCode latencyMs responseExcerpt error } } } } }"""
CREATE_INCIDENT = """mutation($title: String!) { createIncident(input: {title: $title}) {
  id } }"""


@pytest.fixture(autouse=True)
def webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def path() -> str:
    """A receiver path of the test's own."""
    return f"/hook-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def webhooks(new_context: Any) -> Subgraph:
    return Subgraph(webhooks_schema, new_context)


@pytest.fixture
def incidents(new_context: Any) -> Subgraph:
    return Subgraph(incidents_schema, new_context)


@pytest.fixture
def identity(new_context: Any) -> Subgraph:
    return Subgraph(identity_schema, new_context)


@pytest.fixture(scope="module")
async def fan_out(owner_sessions: Sessions, sessions: Sessions) -> ConsumerRunner:
    (consumer,) = REGISTRY.consumers(["webhooks"])
    runner = ConsumerRunner(consumer, owner_sessions, sessions)
    await runner.register()
    return runner


@pytest.fixture
async def deliveries(database_url: str, sessions: Sessions) -> AsyncIterator[JobRunners]:
    runner = JobRunners(REGISTRY.jobs(["webhooks"]), poll_interval=0.05, stalled_after=5.0)
    await runner.start(database_url, sessions)
    yield runner
    await runner.stop()


async def delivery_rows(owner_sessions: Sessions, webhook_id: str) -> list[Any]:
    async with owner_sessions() as session:
        result = await session.execute(
            text(
                "SELECT id, status, attempts, body, last_error FROM webhooks.webhook_deliveries "
                "WHERE webhook_id = :w ORDER BY event_seq"
            ),
            {"w": webhook_id},
        )
        return list(result)


async def until(condition: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.03)


async def settled(owner_sessions: Sessions, webhook_id: str, count: int = 1) -> list[Any]:
    """The webhook's deliveries once `count` of them are finished (delivered, dead, skipped)."""
    rows: list[Any] = []

    async def done() -> bool:
        nonlocal rows
        rows = await delivery_rows(owner_sessions, webhook_id)
        finished = [r for r in rows if r.status in ("DELIVERED", "DEAD", "SKIPPED")]
        return len(finished) >= count

    await until(done)
    return rows
