"""Persisted operations over graphql-transport-ws against the real server process: a
safelisted client subscribes by document id and nothing else; APQ hashes work for
subscriptions and for queries sent over the socket, with the HTTP round trip's codes."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
import pytest

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of, seed_tenant
from tests.e2e.ws import Client, graphql, ws_client

WATCH = "subscription Watch { newIncident { title } }"
COUNT = "query Count { incidents { totalCount } }"
CREATE = "mutation($title: String!) { createIncident(input: {title: $title}) { id } }"


def apq(text: str) -> dict[str, Any]:
    return {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}
    }


# A tenant of its own: the other e2e tests count the shared tenant's incidents.
TENANT = "e2e-persisted"


def mint(issuer: DevIssuer, client_id: str | None = None) -> str:
    claims: dict[str, Any] = {"sub": f"pq-{uuid.uuid4().hex[:6]}", "tenant_id": TENANT}
    if client_id:
        claims["azp"] = client_id
    return issuer.mint({**claims, "roles": ["admin"]}, 600)


@pytest.fixture(scope="module")
def issuer(server: Server, server_env: dict[str, str], e2e_database_url: str) -> DevIssuer:
    seed_tenant(e2e_database_url, TENANT, scale=3)
    return issuer_of(server, server_env)


@pytest.fixture(scope="module")
async def partner(server: Server, issuer: DevIssuer) -> str:
    """A safelisted client with the subscription and the count registered (by the API)."""
    client_id = f"wall-{uuid.uuid4().hex[:8]}"
    admin = mint(issuer)
    await graphql(
        server.graphql,
        "mutation($id: String!) { createApiClient(input: {clientId: $id, safelistOnly: true}) "
        "{ id } }",
        admin,
        id=client_id,
    )
    manifest = orjson.dumps({"watch-v1": WATCH, "count-v1": COUNT}).decode()
    await graphql(
        server.graphql,
        "mutation($id: String!, $m: String!) { registerPersistedOperations("
        "input: {clientId: $id, manifest: $m}) { addedIds } }",
        admin,
        id=client_id,
        m=manifest,
    )
    return client_id


async def subscribe(client: Client, identifier: str, **payload: Any) -> None:
    await client.send({"id": identifier, "type": "subscribe", "payload": payload})


async def error_code(client: Client, identifier: str) -> str:
    message = await client.receive()
    assert message["id"] == identifier and message["type"] == "error", message
    return message["payload"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def delivers_new_incidents(
    client: Client, identifier: str, server: Server, token: str
) -> bool:
    """Create incidents until the subscription delivers one of ours (it may start after the
    first is created; other tests create incidents too)."""
    ours: set[str] = set()
    for _ in range(10):
        ours.add(title := f"Fan down {uuid.uuid4().hex[:6]}")
        await graphql(server.graphql, CREATE, token, title=title)
        try:
            while True:
                payload = await client.next_payload(identifier, timeout=2)
                if payload["data"]["newIncident"]["title"] in ours:
                    return True
        except TimeoutError:
            continue
    return False


async def test_a_safelisted_client_subscribes_by_document_id_only(
    server: Server, issuer: DevIssuer, partner: str
) -> None:
    token = mint(issuer, partner)
    async with ws_client(server.graphql, token=token) as client:
        await subscribe(client, "free", query=WATCH)
        assert await error_code(client, "free") == "PERSISTED_QUERY_NOT_IN_LIST"
        await subscribe(client, "hash", query=WATCH, extensions=apq(WATCH))
        assert await error_code(client, "hash") == "PERSISTED_QUERY_NOT_IN_LIST"
        await subscribe(client, "count", documentId="count-v1")
        counted = await client.next_payload("count")
        assert counted["data"]["incidents"]["totalCount"] > 0
        assert await client.receive() == {"id": "count", "type": "complete"}
        await subscribe(client, "watch", documentId="watch-v1")
        assert await delivers_new_incidents(client, "watch", server, mint(issuer))


async def test_apq_round_trip_over_the_socket(server: Server, issuer: DevIssuer) -> None:
    token = mint(issuer)
    async with ws_client(server.graphql, token=token) as client:
        await subscribe(client, "unknown", extensions=apq(WATCH))
        assert await error_code(client, "unknown") == "PERSISTED_QUERY_NOT_FOUND"
        await subscribe(client, "mismatch", query=COUNT, extensions=apq(WATCH))
        assert await error_code(client, "mismatch") == "BAD_USER_INPUT"
        await subscribe(client, "register", query=WATCH, extensions=apq(WATCH))
        assert await delivers_new_incidents(client, "register", server, token)
        await client.send({"id": "register", "type": "complete"})
        # The hash alone now names the text, for this and any other connection.
        await subscribe(client, "count-text", query=COUNT, extensions=apq(COUNT))
        first = await client.next_payload("count-text")
        assert await client.receive() == {"id": "count-text", "type": "complete"}
        await subscribe(client, "count-hash", query="", extensions=apq(COUNT))
        assert await client.next_payload("count-hash") == first
    async with ws_client(server.graphql, token=token) as other:
        await subscribe(other, "watch", extensions=apq(WATCH))
        assert await delivers_new_incidents(other, "watch", server, token)
