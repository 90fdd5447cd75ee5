"""Transport to a subgraph running as its own HTTP service (GraphQL over HTTP, JSON)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Mapping

import httpx
import orjson

from router.execution.http_subscription import multipart_subscription
from router.execution.http_uploads import multipart_body
from router.execution.transport import (
    SubgraphRequest,
    SubgraphResponse,
    failure,
    graphql_answer,
    headers_of,
)
from router.telemetry import trace_headers

logger = logging.getLogger(__name__)

# Identity and tracing headers a subgraph needs to authorise and correlate the request.
FORWARDED_HEADERS = ("authorization", "x-opsgraph-tenant", "x-request-id")
# The connection closed before any answer came: what a pooled keep-alive connection the
# subgraph's server closed as idle just as the request went out looks like.
DROPPED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def create_http_client(
    max_connections: int = 100,
    headers: Mapping[str, str] | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The one pooled keep-alive client a process should share across all HTTP transports;
    `headers` go with every request (the router's credential towards its subgraphs);
    `verify` checks HTTPS subgraphs' certificates (an SSLContext holding a private CA)."""
    return httpx.AsyncClient(
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        headers=headers,
        verify=verify,
    )


def create_stream_client(
    headers: Mapping[str, str] | None = None, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    """A client for subscriptions: each holds its connection for as long as it lasts, so
    they get connections of their own, unbounded in number, never waiting behind (or
    starving) the fetches of the shared pool."""
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        headers=headers,
        verify=verify,
    )


class HttpTransport:
    """POSTs ``{"query", "variables", "operationName"}`` to ``url`` with a per-subgraph timeout;
    follows subscriptions through ``stream_client`` (by default ``client``)."""

    kind = "http"  # the label of its fetches (router.observer)

    def __init__(
        self,
        url: str,
        timeout_s: float,
        client: httpx.AsyncClient,
        stream_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.timeout = httpx.Timeout(timeout_s)
        self.timeout_s = timeout_s
        self.client = client
        self.stream_client = stream_client or client

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        """Send the request; timeouts, network errors and non-GraphQL answers become errors
        (SERVICE_UNAVAILABLE for an HTTP 503 without a GraphQL body: the subgraph, or what
        stands before it, asks to retry later). A query whose connection was dropped before
        any answer is sent once more, on another connection: a keep-alive connection the
        subgraph closed as idle is not the subgraph failing, and a query changes nothing
        (a mutation is never sent twice)."""
        response, dropped = await self._send(request, context)
        if dropped and request.query.startswith("query"):
            response, _ = await self._send(request, context)
        return response

    async def _send(
        self, request: SubgraphRequest, context: object
    ) -> tuple[SubgraphResponse, bool]:
        """The answer, and whether the connection was dropped before any came."""
        body = {
            "query": request.query,
            "variables": request.variables,
            "operationName": request.operation_name,
        }
        headers = {
            "accept": "application/graphql-response+json, application/json",
            **_forwarded(context),
            **trace_headers(),
        }
        try:
            uploads = multipart_body(body)
            if uploads is None:
                headers["content-type"] = "application/json"
                response = await self.client.post(
                    self.url, content=orjson.dumps(body), headers=headers, timeout=self.timeout
                )
            else:
                # The subgraph's CSRF guard lets a multipart POST through with this header.
                headers["apollo-require-preflight"] = "true"
                data, files = uploads
                response = await self.client.post(
                    self.url, data=data, files=files, headers=headers, timeout=self.timeout
                )
        except httpx.TimeoutException:
            logger.warning("Subgraph at %s timed out after %ss", self.url, self.timeout_s)
            return failure(f"Subgraph request timed out after {self.timeout_s:g}s"), False
        except httpx.HTTPError as error:
            logger.warning("Subgraph at %s unreachable: %r", self.url, error)
            return failure("Subgraph request failed"), isinstance(error, DROPPED)
        return graphql_answer(response.status_code, response.content), False

    def subscribe(
        self, request: SubgraphRequest, context: object
    ) -> AsyncIterator[SubgraphResponse]:
        """Follow a subscription over a multipart HTTP response, with the headers a fetch
        carries (router/execution/http_subscription.py)."""
        headers = {**_forwarded(context), **trace_headers()}
        return multipart_subscription(
            self.stream_client, self.url, request, headers, self.timeout_s
        )


def _forwarded(context: object) -> dict[str, str]:
    incoming = headers_of(context)
    if incoming is None:
        return {}
    lowered = {name.lower(): value for name, value in incoming.items()}
    return {name: lowered[name] for name in FORWARDED_HEADERS if name in lowered}
