"""Identical subscriptions of equivalent principals share one execution (and one listener of
the event hub); a resuming one, or one of another tenant, gets its own. The real app, over
Starlette's WebSocket test client."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from db.engine import create_engine, session_factory
from opsgraph.runtime import Runtime
from opsgraph.seed import seed_demo
from opsgraph.server import create_app
from opsgraph.settings import load_settings

QUERY = "subscription($after: String) { incidentEvents(after: $after) { id } }"


def seed(database_url: str, *slugs: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        async with session_factory(engine)() as session, session.begin():
            for slug in slugs:
                await seed_demo(session, slug=slug, scale=1)
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture
def app_client(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Any, str]]:
    ours, theirs = f"share-{uuid.uuid4().hex[:8]}", f"share-{uuid.uuid4().hex[:8]}"
    seed(database_url, ours, theirs)
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "OPSGRAPH_DATA_DIR": str(tmp_path),
            "OPSGRAPH_DEFAULT_TENANT": ours,
        },
        Path("/nonexistent/.env"),
    )
    runtime = Runtime(settings)
    runtime.prepare()
    app = create_app(runtime)
    with TestClient(app) as client:
        yield client, app, theirs


def subscribe(ws: WebSocketTestSession, variables: dict[str, Any], **init: str) -> None:
    ws.send_text(orjson.dumps({"type": "connection_init", "payload": init}).decode())
    assert orjson.loads(ws.receive_text())["type"] == "connection_ack"
    payload = {"query": QUERY, "variables": variables}
    ws.send_text(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())


def eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_identical_subscriptions_share_one_execution(
    app_client: tuple[TestClient, Any, str],
) -> None:
    client, app, theirs = app_client
    running = app.state.subscriptions
    protocol = ["graphql-transport-ws"]
    with (
        client.websocket_connect("/graphql", subprotocols=protocol) as first,
        client.websocket_connect("/graphql", subprotocols=protocol) as second,
        client.websocket_connect("/graphql", subprotocols=protocol) as resuming,
        client.websocket_connect("/graphql", subprotocols=protocol) as other_tenant,
    ):
        subscribe(first, {})
        subscribe(second, {})
        eventually(lambda: running.execution_count == 1)
        # Resuming needs events the others have had: it runs on its own.
        subscribe(resuming, {"after": str(app.state.event_hub.last_seq)})
        subscribe(other_tenant, {}, **{"x-opsgraph-tenant": theirs})
        eventually(lambda: running.execution_count == 3)
        eventually(lambda: app.state.event_hub.listener_count == 3)
    eventually(lambda: running.execution_count == 0)
    eventually(lambda: app.state.event_hub.listener_count == 0)
