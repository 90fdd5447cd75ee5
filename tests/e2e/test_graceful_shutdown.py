"""SIGTERM to a real `opsgraph serve` holding an open subscription and a request in flight:
`/ready` turns 503 first while everything else is served, the request in flight finishes,
the WebSocket is closed with 1012, and a client that resumes on a new server with `after`
receives every event it missed, those written while it was away included. A subgraph served
alone (`opsgraph subgraph`) drains the same way."""

from __future__ import annotations

import asyncio
import signal
import socket
from typing import Any

import httpx
import orjson

from tests.e2e.conftest import Server, issuer_of, start_server, stop_server
from tests.e2e.test_subscriptions import CREATE, EVENTS
from tests.e2e.ws import graphql, token, ws_client
from tests.support import free_port

DRAIN_SECONDS = 3
MARK = "Drainage"


def _start_slow_request(server: Server, body: bytes) -> socket.socket:
    """A POST whose headers and first half of the body are sent: in flight at the server."""
    port = int(server.url.rsplit(":", 1)[1])
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection.sendall(head + body[: len(body) // 2])
    return connection


def _finish_slow_request(connection: socket.socket, body: bytes) -> bytes:
    connection.sendall(body[len(body) // 2 :])
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    connection.close()
    return answer


async def _events(client: Any, subscription: str, count: int) -> list[dict[str, Any]]:
    """The next `count` events of this test's incidents (the server is shared with others)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        event = (await client.next_payload(subscription))["data"]["incidentEvents"]
        if event["incident"]["title"].startswith(MARK):
            found.append(event)
    return found


async def test_sigterm_drains_closes_sockets_with_1012_and_resume_loses_nothing(
    server_env: dict[str, str],
) -> None:
    env = {**server_env, "OPSGRAPH_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    port = free_port()  # the restarted server takes the same address (and token issuer)
    first = start_server(["serve"], env, port)
    try:
        operator = token(issuer_of(first, env), "operator")
        viewer = token(issuer_of(first, env), "viewer")
        variables = {"filter": {"search": MARK}}
        async with ws_client(first.graphql, token=viewer) as client:
            await client.subscribe("s", EVENTS, variables)
            await asyncio.sleep(0.5)  # the subscription is running before the change
            await graphql(first.graphql, CREATE, operator, input={"title": f"{MARK} 1"})
            (seen,) = await _events(client, "s", 1)

            body = orjson.dumps({"query": "{ __typename }"})
            in_flight = _start_slow_request(first, body)
            first.process.send_signal(signal.SIGTERM)
            async with httpx.AsyncClient(timeout=10) as http:
                ready = await http.get(f"{first.url}/ready")
                health = await http.get(f"{first.url}/health")
                # Still served while draining: a write whose event the client will miss.
                await graphql(first.graphql, CREATE, operator, input={"title": f"{MARK} 2"})
            assert ready.status_code == 503, ready.text
            assert ready.json()["status"] == "draining"
            assert health.status_code == 200

            answer = _finish_slow_request(in_flight, body)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            assert b'"__typename":"Query"' in answer

            code, _ = await client.closed_with(timeout=30)
            assert code == 1012  # service restart: resume elsewhere
        assert first.process.wait(30) == 128 + signal.SIGTERM
    finally:
        stop_server(first)

    second = start_server(["serve"], env, port)
    try:
        # Written while no server held the client's subscription.
        await graphql(second.graphql, CREATE, operator, input={"title": f"{MARK} 3"})
        async with ws_client(second.graphql, token=viewer) as client:
            await client.subscribe("s", EVENTS, {**variables, "after": seen["id"]})
            missed = await _events(client, "s", 2)
        titles = [event["incident"]["title"] for event in missed]
        assert titles == [f"{MARK} 2", f"{MARK} 3"]
        assert [event["kind"] for event in missed] == ["CREATED", "CREATED"]
        assert int(missed[0]["id"]) > int(seen["id"])
    finally:
        stop_server(second)


def test_a_subgraph_served_alone_drains_the_same_way(server_env: dict[str, str]) -> None:
    env = {**server_env, "OPSGRAPH_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    port = free_port()
    subgraph = start_server(["subgraph", "identity", "--port", str(port)], env, port)
    try:
        subgraph.process.send_signal(signal.SIGTERM)
        ready = httpx.get(f"{subgraph.url}/ready", timeout=10)
        answer = httpx.post(subgraph.graphql, json={"query": "{ __typename }"}, timeout=10)
        assert (ready.status_code, answer.status_code) == (503, 200)
        assert subgraph.process.wait(30) == 128 + signal.SIGTERM
    finally:
        stop_server(subgraph)
