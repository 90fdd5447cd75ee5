"""Identical subscriptions of equivalent principals share one execution (and one listener of
the event hub); a resuming one, or one of another tenant, gets its own. The real app, over
Starlette's WebSocket test client."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from db.engine import create_engine, session_factory
from opsgraph.auth.setup import dev_issuer
from opsgraph.runtime import Runtime
from opsgraph.seed import seed_demo
from opsgraph.server import create_app
from opsgraph.settings import Settings, load_settings

QUERY = "subscription($after: String) { incidentEvents(after: $after) { id } }"


def seed(database_url: str, *slugs: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        async with session_factory(engine)() as session, session.begin():
            for slug in slugs:
                await seed_demo(session, slug=slug, scale=1)
        await engine.dispose()

    asyncio.run(run())


def settings_for(database_url: str, tmp_path: Path, ours: str) -> Settings:
    return load_settings(
        {
            "DATABASE_URL": database_url,
            "OPSGRAPH_DATA_DIR": str(tmp_path),
            "OPSGRAPH_DEFAULT_TENANT": ours,
        },
        Path("/nonexistent/.env"),
    )


class Served(NamedTuple):
    client: TestClient
    app: Any
    settings: Settings
    ours: str
    theirs: str


@pytest.fixture
def app_client(database_url: str, tmp_path: Path) -> Iterator[Served]:
    ours, theirs = f"share-{uuid.uuid4().hex[:8]}", f"share-{uuid.uuid4().hex[:8]}"
    seed(database_url, ours, theirs)
    settings = settings_for(database_url, tmp_path, ours)
    runtime = Runtime(settings)
    runtime.prepare()
    app = create_app(runtime)
    with TestClient(app) as client:
        yield Served(client, app, settings, ours, theirs)


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


def test_identical_subscriptions_share_one_execution(app_client: Served) -> None:
    client, app, _, _, theirs = app_client
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


def test_subscribers_with_other_permissions_never_share_an_execution(
    app_client: Served,
) -> None:
    """An execution's responses, and the frames made of them, go only to its subscribers:
    principals whose permissions differ (pii:view here) each get their own execution."""
    client, app, settings, ours, _ = app_client
    issuer = dev_issuer(settings)
    tokens = {
        role: issuer.mint({"sub": f"wallboard-{role}", "tenant_id": ours, "roles": [role]}, 300)
        for role in ("operator", "viewer")
    }
    running = app.state.subscriptions
    protocol = ["graphql-transport-ws"]
    with (
        client.websocket_connect("/graphql", subprotocols=protocol) as operator,
        client.websocket_connect("/graphql", subprotocols=protocol) as viewer,
        client.websocket_connect("/graphql", subprotocols=protocol) as second_viewer,
    ):
        subscribe(operator, {}, authorization=f"Bearer {tokens['operator']}")
        subscribe(viewer, {}, authorization=f"Bearer {tokens['viewer']}")
        eventually(lambda: running.execution_count == 2)
        subscribe(second_viewer, {}, authorization=f"Bearer {tokens['viewer']}")
        eventually(lambda: running.subscriber_count == 3)
        created = client.post(
            "/graphql",
            json={"query": 'mutation { createIncident(input: {title: "Shared?"}) { id } }'},
            headers={"authorization": f"Bearer {tokens['operator']}"},
        )
        assert "errors" not in created.json(), created.json()
        for socket in (operator, viewer, second_viewer):  # all three are subscribed
            assert orjson.loads(socket.receive_text())["type"] == "next"
        assert running.execution_count == 2  # the second viewer joined the viewer's
        assert app.state.event_hub.listener_count == 2
