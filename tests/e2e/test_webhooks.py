"""Webhooks through the real server process (`opsgraph serve`, one per module, private
targets allowed): a webhook made over HTTP, an incident created over HTTP, and the delivery
the server's own fan-out consumer and job-queue worker send to a receiver on 127.0.0.1,
verified there with the `standardwebhooks` verifier; the delivery log read back over HTTP, and
the delivery counted on /metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import standardwebhooks

from tests.conftest import fresh_database
from tests.e2e.conftest import Server, seed_tenant, start_server, stop_server
from tests.opsgraph.test_metrics import parse, value
from tests.support import free_port
from tests.webhooks.receiver import Receiver


@pytest.fixture(scope="module")
def webhook_server(server_env: dict[str, str], server_url: str) -> Iterator[Server]:
    """Over a database of its own: any process on a database may take a delivery off its
    job queue, and the other e2e servers refuse the receiver's loopback address."""
    for database_url in fresh_database(server_url, "opsgraph_webhooks"):
        seed_tenant(database_url, scale=5)
        env = {
            **server_env,
            "DATABASE_URL": database_url,
            "OPSGRAPH_WEBHOOK_ALLOW_PRIVATE": "true",
            "OPSGRAPH_JOB_POLL_MS": "50",
        }
        running = start_server(["serve"], env, free_port())
        yield running
        stop_server(running)


def call(server: Server, query: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(server.graphql, json={"query": query, "variables": variables}, timeout=30)
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_a_delivery_through_the_server(webhook_server: Server) -> None:
    receiver = Receiver()
    try:
        made = call(
            webhook_server,
            """mutation($url: String!) { createWebhook(input: {url: $url,
            events: ["incident.created"], filter: [{field: "title", in: ["E2E hook"]}]})
            { secret webhook { id } } }""",
            url=receiver.url("/e2e"),
        )["createWebhook"]
        call(webhook_server, 'mutation { createIncident(input: {title: "Not this one"}) { id } }')
        incident = call(
            webhook_server, 'mutation { createIncident(input: {title: "E2E hook"}) { id } }'
        )["createIncident"]["id"]
        deadline = time.monotonic() + 30
        while not receiver.at("/e2e") and time.monotonic() < deadline:
            time.sleep(0.05)
        (request,) = receiver.at("/e2e")
        payload = standardwebhooks.Webhook(made["secret"]).verify(request.body, request.headers)
        assert (payload["type"], payload["data"]["entityId"]) == ("incident.created", incident)
        log = call(
            webhook_server,
            "query($id: ID!) { webhookDeliveries(webhookId: $id) { edges { node { status "
            "attempts attemptLog { statusCode } } } } }",
            id=made["webhook"]["id"],
        )["webhookDeliveries"]["edges"]
        deadline = time.monotonic() + 10
        while log[0]["node"]["status"] != "DELIVERED" and time.monotonic() < deadline:
            time.sleep(0.05)
            log = call(
                webhook_server,
                "query($id: ID!) { webhookDeliveries(webhookId: $id) { edges { node { status "
                "attempts attemptLog { statusCode } } } } }",
                id=made["webhook"]["id"],
            )["webhookDeliveries"]["edges"]
        assert [edge["node"] for edge in log] == [
            {"status": "DELIVERED", "attempts": 1, "attemptLog": [{"statusCode": 200}]}
        ]
        scraped = httpx.get(f"{webhook_server.url}/metrics", timeout=30)
        assert scraped.status_code == 200, scraped.text
        samples = parse(scraped.text)[1]
        delivered = value(samples, "opsgraph_webhook_deliveries_total", outcome="delivered")
        assert delivered == 1
    finally:
        receiver.close()
