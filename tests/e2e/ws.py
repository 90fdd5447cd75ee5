"""A small graphql-transport-ws client for the tests, on the `websockets` package."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from opsgraph.auth.issuer import DevIssuer

PROTOCOL = "graphql-transport-ws"


def token(issuer: DevIssuer, *roles: str, tenant: str = "e2e", ttl: int = 600) -> str:
    claims = {"sub": f"wallboard-{'-'.join(roles) or 'none'}", "tenant_id": tenant}
    return issuer.mint({**claims, "roles": list(roles)}, ttl)


class Client:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def receive(self, timeout: float = 15) -> dict[str, Any]:
        """The next message other than a keep-alive ping."""
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), timeout)
            message: dict[str, Any] = orjson.loads(raw)
            if message.get("type") not in ("ping", "ka"):  # keep-alives of both protocols
                return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(
        self, identifier: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": identifier, "type": "subscribe", "payload": payload})

    async def next_payload(self, identifier: str, timeout: float = 15) -> dict[str, Any]:
        message = await self.receive(timeout)
        assert message.get("id") == identifier and message["type"] == "next", message
        return message["payload"]  # type: ignore[no-any-return]

    async def refusal(self, identifier: str) -> str:
        """The code of the error that ended subscription `identifier` (its `next` with
        errors and no data, then its `complete`)."""
        payload = await self.next_payload(identifier)
        assert payload["data"] is None, payload
        completed = await self.receive()
        assert completed == {"id": identifier, "type": "complete"}, completed
        return payload["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]

    async def closed_with(self, timeout: float = 15) -> tuple[int | None, str]:
        """Wait until the server closes the connection: its close code and reason."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.connection.recv()
        except ConnectionClosed as closed:
            frame = closed.rcvd
            return (frame.code, frame.reason) if frame else (None, "")
        raise AssertionError("unreachable")


@asynccontextmanager
async def ws_client(
    graphql_url: str,
    *,
    token: str | None = None,
    init: bool = True,
    subprotocols: list[str] | None = None,
    origin: str | None = None,
    **options: Any,
) -> AsyncIterator[Client]:
    url = graphql_url.replace("https://", "wss://").replace("http://", "ws://")
    async with connect(
        url,
        subprotocols=subprotocols if subprotocols is not None else [PROTOCOL],  # type: ignore[arg-type]
        origin=origin,  # type: ignore[arg-type]
        open_timeout=15,
        **options,
    ) as connection:
        client = Client(connection)
        if init:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            acknowledged = await client.init(payload)
            assert acknowledged["type"] == "connection_ack", acknowledged
        yield client


async def graphql(
    graphql_url: str, query: str, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            graphql_url, json={"query": query, "variables": variables}, headers=headers
        )
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]
