"""The split router's doors to the domains' HTTP endpoints (`Domain.routes`): in a split
deployment the process serving a domain serves its endpoints, and the router forwards each
request for one to that process, so a client (a download link relative to the API's origin,
an Alertmanager pointed at the API) needs only the router's address.

The request keeps its method, query string, body and the headers the endpoint may read (its
credentials among them: the subgraph authenticates the caller itself); the answer is
streamed back with its status and the headers that describe it. An unreachable subgraph is
503 with Retry-After."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from resolvers.domain import DomainRoute

FORWARDED = ("authorization", "x-opsgraph-tenant", "x-request-id", "content-type", "accept")
RETURNED = (
    "content-type",
    "content-length",
    "content-encoding",
    "content-disposition",
    "cache-control",
    "x-content-type-options",
    "www-authenticate",
    "retry-after",
)


def proxied_routes(
    routes: Sequence[tuple[str, DomainRoute]],
    urls: Mapping[str, str],
    clients: Mapping[str, httpx.AsyncClient],
) -> list[Route]:
    """A forwarding route for each (domain, route) whose domain's subgraph has a URL (its
    GraphQL endpoint's: the route is at the same origin)."""
    forwarded = []
    for domain, route in routes:
        url = urls.get(domain)
        if url is None:
            continue
        parts = urlsplit(url)
        target = urlunsplit((parts.scheme, parts.netloc, route.path, "", ""))
        forwarded.append(
            Route(route.path, _forward(clients[domain], target), methods=list(route.methods))
        )
    return forwarded


def _forward(client: httpx.AsyncClient, target: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
        outgoing = client.build_request(
            request.method,
            target,
            params=str(request.query_params),
            headers=headers,
            content=await request.body() if request.method != "GET" else None,
        )
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.HTTPError:
            body = {
                "errors": [
                    {
                        "message": "The service behind this endpoint is unreachable; retry later",
                        "extensions": {"code": "SERVICE_UNAVAILABLE"},
                    }
                ]
            }
            return Response(
                orjson.dumps(body),
                503,
                media_type="application/json",
                headers={"retry-after": "5"},
            )
        return StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            headers={name: answer.headers[name] for name in RETURNED if name in answer.headers},
            background=BackgroundTask(answer.aclose),
        )

    return endpoint
