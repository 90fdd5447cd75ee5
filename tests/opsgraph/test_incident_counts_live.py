"""incidentCountsChanged through the real app (router, event hub, relay) over a WebSocket:
the counts at once, again after each change that alters them, for the subscriber's tenant
only, and refused without the permission."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from db.engine import create_engine, session_factory
from db.tenants import create_tenant
from opsgraph.auth.setup import dev_issuer
from opsgraph.runtime import Runtime
from opsgraph.server import create_app
from tests.opsgraph.test_subscription_sharing import settings_for

SUBSCRIPTION = """subscription($filter: IncidentFilter) {
  incidentCountsChanged(groupBy: PRIORITY, filter: $filter) {
    total groups { priority count } } }"""
CREATE = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }"""
PROTOCOL = ["graphql-transport-ws"]


def new_tenants(database_url: str, *slugs: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        async with session_factory(engine)() as session, session.begin():
            for slug in slugs:
                await create_tenant(session, slug, slug)
        await engine.dispose()

    asyncio.run(run())


class Served:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def create(self, who: str, **input: Any) -> None:
        answer = self.client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": input}},
            headers={"authorization": f"Bearer {self.tokens[who]}"},
        ).json()
        assert "errors" not in answer, answer


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    ours, theirs = f"counts-{uuid.uuid4().hex[:8]}", f"counts-{uuid.uuid4().hex[:8]}"
    new_tenants(database_url, ours, theirs)
    settings = settings_for(database_url, tmp_path_factory.mktemp("counts"), ours)
    runtime = Runtime(settings)
    runtime.prepare()
    issuer = dev_issuer(settings)
    tokens = {
        name: issuer.mint({"sub": name, "tenant_id": tenant, "roles": [role]}, 600)
        for name, tenant, role in (
            ("ours", ours, "operator"),
            ("theirs", theirs, "operator"),
            ("nobody", ours, "no-such-role"),
        )
    }
    with TestClient(create_app(runtime)) as client:
        yield Served(client, tokens)


def subscribe(ws: WebSocketTestSession, token: str, variables: dict[str, Any]) -> None:
    init = {"authorization": f"Bearer {token}"}
    ws.send_text(orjson.dumps({"type": "connection_init", "payload": init}).decode())
    assert orjson.loads(ws.receive_text())["type"] == "connection_ack"
    payload = {"query": SUBSCRIPTION, "variables": variables}
    ws.send_text(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())


def counts(ws: WebSocketTestSession) -> dict[str, Any]:
    message = orjson.loads(ws.receive_text())
    assert message["type"] == "next", message
    return message["payload"]["data"]["incidentCountsChanged"]  # type: ignore[no-any-return]


def test_counts_follow_the_tenants_changes(served: Served) -> None:
    with (
        served.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as every,
        served.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as tagged,
    ):
        subscribe(every, served.tokens["ours"], {})
        subscribe(tagged, served.tokens["ours"], {"filter": {"tags": {"any": ["db"]}}})
        assert counts(every) == {"total": 0, "groups": []}
        assert counts(tagged) == {"total": 0, "groups": []}

        served.create("theirs", title="Not ours")  # another tenant's: no new counts
        served.create("ours", title="Disk", impact="HIGH", urgency="HIGH", tags=["DB"])
        assert counts(every) == {"total": 1, "groups": [{"priority": "CRITICAL", "count": 1}]}
        assert counts(tagged) == {"total": 1, "groups": [{"priority": "CRITICAL", "count": 1}]}

        # Untagged: the filtered subscriber's counts do not change, so it gets nothing; the
        # next frame it gets is after the next tagged incident.
        served.create("ours", title="Mouse", impact="LOW", urgency="LOW")
        assert counts(every) == {
            "total": 2,
            "groups": [{"priority": "CRITICAL", "count": 1}, {"priority": "LOW", "count": 1}],
        }
        served.create("ours", title="Replica", impact="LOW", urgency="LOW", tags=["db"])
        assert counts(tagged) == {
            "total": 2,
            "groups": [{"priority": "CRITICAL", "count": 1}, {"priority": "LOW", "count": 1}],
        }
        assert counts(every)["total"] == 3


def test_refused_without_the_permission(served: Served) -> None:
    with served.client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        subscribe(ws, served.tokens["nobody"], {})
        message = orjson.loads(ws.receive_text())
        assert (message["type"], message["payload"]["data"]) == ("next", None), message
        codes = [e["extensions"]["code"] for e in message["payload"]["errors"]]
        assert codes == ["FORBIDDEN"]
