"""The outbox relay does not wait for the owner's pooled connections: event consumers take
them on every event, and a relay queued behind them held every subscriber's delivery back.
The real app, over Starlette's WebSocket test client."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import orjson
from starlette.testclient import TestClient

from opsgraph.runtime import Runtime
from opsgraph.server import create_app
from tests.opsgraph.test_subscription_sharing import eventually, seed, settings_for, subscribe

HOLD_SECONDS = 6.0


@asynccontextmanager
async def every_connection_of(runtime: Runtime) -> AsyncIterator[None]:
    """Every connection the owner's pool may hand out, checked out."""
    engine = runtime.owner_engine
    assert engine is not None
    pool = engine.pool
    size = pool.size() + max(pool._max_overflow, 0)  # type: ignore[attr-defined]
    async with AsyncExitStack() as stack:
        for _ in range(size):
            await stack.enter_async_context(engine.connect())
        yield


def test_events_reach_subscribers_while_the_owner_pool_is_taken(
    database_url: str, tmp_path: Path
) -> None:
    ours = f"relay-{uuid.uuid4().hex[:8]}"
    seed(database_url, ours)
    runtime = Runtime(settings_for(database_url, tmp_path, ours))
    runtime.prepare()
    app = create_app(runtime)
    held = threading.Event()
    released: list[bool] = []

    async def hold() -> None:
        async with every_connection_of(runtime):
            held.set()
            await asyncio.sleep(HOLD_SECONDS)
            released.append(True)

    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        subscribe(ws, {})
        eventually(lambda: app.state.subscriptions.subscriber_count == 1)
        assert client.portal is not None
        holder = client.portal.start_task_soon(hold)
        eventually(held.is_set)
        created = client.post(
            "/graphql",
            json={"query": 'mutation { createIncident(input: {title: "Relayed?"}) { id } }'},
        )
        assert "errors" not in created.json(), created.json()
        message = orjson.loads(ws.receive_text())
        # Delivered while every owner connection was still checked out.
        assert released == []
        assert message["type"] == "next"
        event = message["payload"]["data"]["incidentEvents"]
        assert event["id"]
        holder.result(HOLD_SECONDS + 10)
