"""One subgraph as its own HTTP service (`opsgraph subgraph NAME --port N`): POST/GET
/graphql with `_service` and `_entities`, for our router in HTTP mode or any Federation 2
gateway; /health and /ready as on the router. As on the router, a response with nothing
but SERVICE_UNAVAILABLE errors (its database is down) is HTTP 503 with Retry-After."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from opsgraph.auth.setup import build_auth
from opsgraph.runtime import Runtime
from opsgraph.tenancy import RequestScopeMiddleware
from resolvers.context import Context
from router.execution.errors import is_unavailable, unavailable_headers


class SubgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request Context (RequestScopeMiddleware closes it)."""

    def __init__(self, schema: strawberry.federation.Schema, runtime: Runtime) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=True)
        self.runtime = runtime

    async def get_context(self, request: Any, response: Any) -> Context:
        assert self.runtime.sessions is not None
        context = Context.open(
            self.runtime.sessions,
            principal=request.state.principal,
            request_id=request.headers.get("x-request-id"),
            headers=dict(request.headers),
            debug=self.runtime.settings.debug,
            roles_changed=self.runtime.custom_roles.forget,
        )
        request.state.context = context
        return context

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and is_unavailable(response_data):
            response.status_code = 503
            response.headers.update(unavailable_headers())
        return response


def create_subgraph_app(schema: strawberry.federation.Schema, runtime: Runtime) -> Starlette:
    """The subgraph re-validates the caller's token itself: a principal forwarded by a router
    is never taken from a plain header."""
    auth = build_auth(runtime.settings, runtime.tenant_id, runtime.custom_roles.get)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        try:
            await runtime.check_ready()
        except Exception as error:
            return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.open()
        try:
            yield
        finally:
            await auth.close()
            await runtime.close()

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/graphql", SubgraphGraphQL(schema, runtime), methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RequestScopeMiddleware, authenticator=auth.authenticator)
    return app
