"""The router's ASGI application (Starlette): ``/graphql``, GraphiQL, health and readiness.

Status codes follow GraphQL over HTTP: requests that cannot start executing get 4xx with
``errors`` only; once execution starts the answer is 200 with ``data`` and maybe ``errors``
(a failing subgraph is partial data, never a 500). A response that holds nothing but
``SERVICE_UNAVAILABLE`` errors (the subgraphs' database is down) is 503 with ``Retry-After``,
and so is an exception the application's ``unavailable`` classifies as such (the router
itself does not know what a lost database looks like). Only a bug in the router itself is a
500, and its stack trace is logged, never sent, unless ``debug`` is on.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Lifespan

from router.execution.errors import unavailable_headers
from router.execution.transport import SERVICE_UNAVAILABLE_CODE
from router.gateway import Gateway
from router.http_caching import cache_headers, not_modified
from router.http_params import (
    BadRequest,
    GraphQLParams,
    is_graphql_get,
    params_from_body,
    params_from_query_string,
)
from router.http_uploads import is_multipart, read_multipart
from router.observer import RequestRecord
from router.websocket_protocol import GraphQLWebSocket

logger = logging.getLogger(__name__)

GRAPHIQL_DIR = Path(__file__).parent / "static" / "graphiql"
JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

ContextFactory = Callable[[Request], Awaitable[object]]
Readiness = Callable[[], Awaitable[None]]
Unavailable = Callable[[BaseException], bool]


def create_router_app(
    gateway: Gateway,
    *,
    context_factory: ContextFactory,
    readiness: Readiness | None = None,
    lifespan: Lifespan[Starlette] | None = None,
    graphiql: bool = True,
    debug: bool = False,
    websocket: GraphQLWebSocket | None = None,
    unavailable: Unavailable = lambda error: False,
    max_field_bytes: int = 1024 * 1024,
) -> Starlette:
    """Build the Starlette app serving ``gateway``.

    ``context_factory`` builds the opaque per-request context handed to transports;
    ``readiness`` raises when the process should not receive traffic (``/ready`` → 503);
    ``websocket`` serves GraphQL over WebSocket on ``/graphql`` (subscriptions);
    ``unavailable`` tells an exception that means "retry later" (503) from a bug (500);
    ``max_field_bytes`` bounds the fields of a multipart upload request other than its files
    (router/http_uploads.py).
    """
    endpoint = _GraphQLEndpoint(
        gateway, context_factory, graphiql, debug, unavailable, max_field_bytes
    )

    async def health(_: Request) -> Response:
        return _json({"status": "ok"})

    async def ready(_: Request) -> Response:
        if readiness is not None:
            try:
                await readiness()
            except Exception as error:
                return _json({"status": "unavailable", "reason": str(error)}, status=503)
        return _json({"status": "ready"})

    async def home(_: Request) -> Response:
        return RedirectResponse("/graphql", status_code=302)  # GraphiQL, where it is on

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Mount("/static/graphiql", StaticFiles(directory=GRAPHIQL_DIR, check_dir=False)),
    ]
    if websocket is not None:
        routes.append(WebSocketRoute("/graphql", websocket.serve))
    return Starlette(routes=routes, lifespan=lifespan)


class _GraphQLEndpoint:
    def __init__(
        self,
        gateway: Gateway,
        context_factory: ContextFactory,
        graphiql: bool,
        debug: bool,
        unavailable: Unavailable,
        max_field_bytes: int,
    ) -> None:
        self.gateway = gateway
        self.max_field_bytes = max_field_bytes
        self.context_factory = context_factory
        self.graphiql = graphiql
        self.debug = debug
        self.unavailable = unavailable

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        media_type = _response_media_type(request.headers.get("accept", ""))
        try:
            if request.method == "GET":
                if not is_graphql_get(request.query_params) and self._wants_graphiql(request):
                    return _graphiql_page()
                params = params_from_query_string(request.query_params)
                allowed: tuple[str, ...] = ("query",)
            elif is_multipart(request):
                params, form = await read_multipart(request, self.max_field_bytes)
                try:
                    return await self._execute(request, params, ("mutation",), media_type)
                finally:
                    await form.close()
            else:
                params = params_from_body(await request.body())
                allowed = ("query", "mutation")
            return await self._execute(request, params, allowed, media_type)
        except BadRequest as error:
            self._observe_refusal("BAD_REQUEST", started)
            return _errors(str(error), "BAD_REQUEST", error.status, media_type)
        except Exception as error:
            unavailable = self.unavailable(error)
            self._observe_refusal(
                SERVICE_UNAVAILABLE_CODE if unavailable else "INTERNAL_SERVER_ERROR", started
            )
            if unavailable:
                logger.warning("Service unavailable on %s: %s", request.url.path, error)
                response = _errors(
                    "The service is unavailable; retry later",
                    SERVICE_UNAVAILABLE_CODE,
                    503,
                    media_type,
                )
                response.headers.update(unavailable_headers())
                return response
            logger.exception("Router failed on %s %s", request.method, request.url.path)
            extensions: dict[str, Any] = {}
            if self.debug:
                extensions["exception"] = {
                    "stacktrace": traceback.format_exception(error),
                }
            return _errors(
                "Internal server error", "INTERNAL_SERVER_ERROR", 500, media_type, extensions
            )

    async def _execute(
        self, request: Request, params: GraphQLParams, allowed: tuple[str, ...], media_type: str
    ) -> Response:
        context = await self.context_factory(request)
        result = await self.gateway.execute_request(
            params.query,
            params.variables,
            params.operation_name,
            context,
            allowed_operations=allowed,
            extensions=params.extensions,
            document_id=params.document_id,
        )
        response = _json(result.body, result.status, media_type, result.headers)
        if request.method == "GET" and result.cache_policy is not None:
            headers = cache_headers(result.cache_policy, response.body)
            if not_modified(request.headers, headers):
                return Response(status_code=304, headers=headers)
            response.headers.update(headers)
        return response

    def _observe_refusal(self, code: str, started: float) -> None:
        """A request the gateway did not answer (unreadable, or it raised): the observer
        hears of it as of one refused with ``code``."""
        observer = self.gateway.observer
        if observer is not None:
            observer.request_finished(
                RequestRecord(
                    None,
                    None,
                    executed=False,
                    has_data=False,
                    error_codes=(code,),
                    seconds=time.perf_counter() - started,
                )
            )

    def _wants_graphiql(self, request: Request) -> bool:
        return self.graphiql and "text/html" in request.headers.get("accept", "")


def _graphiql_page() -> Response:
    page = GRAPHIQL_DIR / "index.html"
    if not page.is_file():
        return PlainTextResponse("GraphiQL is not installed", status_code=404)
    return FileResponse(page, media_type="text/html")


def _response_media_type(accept: str) -> str:
    """The first of our two JSON media types the client lists; plain JSON otherwise."""
    for item in accept.split(","):
        media = item.split(";", 1)[0].strip().lower()
        if media in (JSON, GRAPHQL_RESPONSE_JSON):
            return media
    return JSON


def _errors(
    message: str,
    code: str,
    status: int,
    media_type: str,
    extensions: dict[str, Any] | None = None,
) -> Response:
    error = {"message": message, "extensions": {"code": code, **(extensions or {})}}
    return _json({"errors": [error]}, status, media_type)


def _json(
    body: dict[str, Any],
    status: int = 200,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)
