"""An independent subscription client: the `graphql-ws` npm package (the reference
implementation of graphql-transport-ws, on `ws` under Node) subscribes to the real server,
authenticating in `connection_init`, and receives the event a mutation caused."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

from opsgraph.auth.setup import dev_issuer
from opsgraph.settings import load_settings
from tests.e2e.conftest import Server
from tests.interop.conftest import TENANT, run_node

SUBSCRIPTION = """subscription {
  incidentEvents { id kind changedFields incident { id number title priority team { name } } }
}"""
CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number }
}"""


def test_graphql_ws_client_receives_the_event_of_a_mutation(
    node_modules: Path, in_process_server: Server, interop_env: dict[str, str]
) -> None:
    settings = load_settings(
        {**interop_env, "OPSGRAPH_PORT": str(urlsplit(in_process_server.url).port)}
    )
    token = dev_issuer(settings).mint(
        {"sub": "graphql-ws-client", "tenant_id": TENANT, "roles": ["operator"]}, 600
    )
    title = f"graphql-ws probe {uuid.uuid4().hex[:8]}"

    result = run_node(
        node_modules,
        "subscribe.cjs",
        {
            "url": in_process_server.graphql.replace("http://", "ws://"),
            "token": token,
            "subscription": SUBSCRIPTION,
            "mutation": CREATE,
            "variables": {"input": {"title": title, "impact": "HIGH", "urgency": "LOW"}},
        },
    )

    created = result["created"]["createIncident"]
    event = result["event"]["incidentEvents"]
    assert event["kind"] == "CREATED"
    assert event["incident"] == {
        "id": created["id"],
        "number": created["number"],
        "title": title,
        "priority": "MEDIUM",
        "team": None,
    }
    ids = [int(e["incidentEvents"]["id"]) for e in result["events"]]
    assert ids == sorted(set(ids)), "event ids increase, without repeats"
