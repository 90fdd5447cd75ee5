"""One subgraph as its own HTTP service (`opsgraph subgraph NAME --port N`): POST/GET
/graphql with `_service` and `_entities`, for our router in HTTP mode or any Federation 2
gateway; /health and /ready as on the router."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from opsgraph.auth.setup import build_auth
from opsgraph.runtime import Runtime
from opsgraph.subgraph_hints import hides_suggestions, without_hints
from opsgraph.tenancy import RequestScopeMiddleware
from resolvers.context import Context


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

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        if hides_suggestions(self.runtime.settings):
            result = without_hints(result)
        return await super().process_result(request, result)


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
