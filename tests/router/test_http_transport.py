"""HttpTransport against a real uvicorn server, and its failure modes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from strawberry.asgi import GraphQL

from router.composition import Supergraph
from router.execution import HttpTransport, SubgraphRequest, Transport, create_http_client
from router.gateway import Gateway
from tests.router.fixture_subgraphs import SCHEMAS, CountingTransport, RequestContext
from tests.support import free_port

QUERY = "{ viewerToken reviews { body author { name email } } me { name } }"
HEADERS = {
    "Authorization": "Bearer t0ken",
    "X-OpsGraph-Tenant": "acme",
    "X-Request-Id": "req-1",
    "Cookie": "session=secret",
}


class AccountsOverHttp(GraphQL):
    """The accounts fixture subgraph as its own service; its context carries the headers."""

    received: list[dict[str, str]] = []

    async def get_context(self, request: Request, response: Any) -> dict[str, Any]:  # type: ignore[override]
        self.received.append(dict(request.headers))
        return {"headers": request.headers}


@pytest.fixture
async def accounts_url() -> AsyncIterator[str]:
    AccountsOverHttp.received = []
    port = free_port()
    config = uvicorn.Config(
        AccountsOverHttp(SCHEMAS["accounts"]), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await task


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client() as shared:
        yield shared


async def test_http_answer_equals_in_process_answer(
    supergraph: Supergraph,
    transports: dict[str, CountingTransport],
    accounts_url: str,
    client: httpx.AsyncClient,
) -> None:
    context = RequestContext(headers={k.lower(): v for k, v in HEADERS.items()})
    in_process = await Gateway(supergraph, dict(transports)).execute(QUERY, None, None, context)
    routed: dict[str, Transport] = {
        **transports,
        "accounts": HttpTransport(accounts_url, timeout_s=5, client=client),
    }

    over_http = await Gateway(supergraph, routed).execute(QUERY, None, None, context)

    assert over_http == in_process
    assert over_http["data"]["viewerToken"] == "Bearer t0ken"
    assert over_http["data"]["reviews"][2]["author"] == {
        "name": "Grace",
        "email": "grace@example.com",
    }


async def test_only_identity_headers_are_forwarded(
    accounts_url: str, client: httpx.AsyncClient
) -> None:
    transport = HttpTransport(accounts_url, timeout_s=5, client=client)

    await transport.fetch(SubgraphRequest("{ me { name } }", None, None), RequestContext(HEADERS))

    received = AccountsOverHttp.received[0]
    assert received["authorization"] == "Bearer t0ken"
    assert received["x-opsgraph-tenant"] == "acme"
    assert received["x-request-id"] == "req-1"
    assert "cookie" not in received


async def mock_fetch(handler: Any) -> tuple[Any, list[dict[str, Any]]]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as mock:
        transport = HttpTransport("http://subgraph/graphql", timeout_s=0.5, client=mock)
        response = await transport.fetch(SubgraphRequest("{ me { name } }", None, None), object())
    return response.data, response.errors


async def test_timeout_becomes_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    assert await mock_fetch(handler) == (
        None,
        [
            {
                "message": "Subgraph request timed out after 0.5s",
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    )


async def test_unreachable_subgraph_becomes_an_error(client: httpx.AsyncClient) -> None:
    transport = HttpTransport(f"http://127.0.0.1:{free_port()}/graphql", timeout_s=1, client=client)

    response = await transport.fetch(SubgraphRequest("{ me { name } }", None, None), object())

    assert response.data is None
    assert response.errors == [
        {"message": "Subgraph request failed", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    ]


async def test_non_json_answer_becomes_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    assert await mock_fetch(handler) == (
        None,
        [
            {
                "message": "Subgraph answered HTTP 502 without a JSON body",
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    )


async def test_a_503_without_a_graphql_body_is_service_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="Service Unavailable", headers={"retry-after": "5"})

    assert await mock_fetch(handler) == (
        None,
        [
            {
                "message": "Subgraph answered HTTP 503 without a JSON body",
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ],
    )


async def test_json_that_is_not_a_graphql_result_becomes_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=["not", "a", "result"])

    data, errors = await mock_fetch(handler)

    assert data is None
    assert errors[0]["message"] == "Subgraph answered HTTP 200 without a GraphQL result"


async def test_request_body_is_graphql_over_http_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"me": {"name": "Ada"}}})

    assert await mock_fetch(handler) == ({"me": {"name": "Ada"}}, [])
    assert seen[0].method == "POST"
    assert seen[0].headers["content-type"] == "application/json"
    assert httpx.Response(200, content=seen[0].content).json() == {
        "query": "{ me { name } }",
        "variables": None,
        "operationName": None,
    }


class DroppingFirst:
    """A subgraph's HTTP server that closes its first connection once a request has come in,
    without an answer (as a server closes a keep-alive connection it found idle), and answers
    every later one."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        if self.connections > 1:
            body = b'{"data": {"me": {"name": "Ada"}}}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + b"content-length: %d\r\n\r\n" % len(body)
                + body
            )
            await writer.drain()
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/graphql"

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def fetch_from_dropping(client: httpx.AsyncClient, query: str) -> tuple[Any, int]:
    """Fetch `query` from a subgraph that drops its first connection: the response and how
    many connections the subgraph saw."""
    subgraph = DroppingFirst()
    async with subgraph as url:
        transport = HttpTransport(url, timeout_s=5, client=client)
        response = await transport.fetch(SubgraphRequest(query, None, None), object())
    return response, subgraph.connections


async def test_a_query_dropped_before_any_answer_is_sent_once_more(
    client: httpx.AsyncClient,
) -> None:
    response, connections = await fetch_from_dropping(client, "query { me { name } }")

    assert (response.data, response.errors) == ({"me": {"name": "Ada"}}, [])
    assert connections == 2


async def test_a_mutation_dropped_before_any_answer_is_not_sent_again(
    client: httpx.AsyncClient,
) -> None:
    mutation = 'mutation { createIncident(input: {title: "x"}) { id } }'
    response, connections = await fetch_from_dropping(client, mutation)

    assert response.data is None
    assert response.errors == [
        {"message": "Subgraph request failed", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    ]
    assert connections == 1
