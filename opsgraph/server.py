"""The default deployment: the router with every subgraph in-process, in one ASGI app.

The router sees each subgraph only as its SDL plus an in-process transport; one request
context (tenant, database scope, loaders) is shared by all fetches of a request, so loaders
batch across subgraph boundaries too."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request

from opsgraph.catalog import SUBGRAPHS, in_process_executor, load_schema, subgraph_sdl
from opsgraph.events.bus import event_bus
from opsgraph.events.relay import OutboxRelay
from opsgraph.runtime import Runtime
from opsgraph.tenancy import RequestScopeMiddleware
from resolvers.context import Context
from router.app import create_router_app
from router.composition import SubgraphSource, Supergraph, compose
from router.execution import InProcessTransport
from router.gateway import Gateway


def build_supergraph() -> Supergraph:
    """Compose the SDL of every subgraph in the catalog (raises CompositionError)."""
    return compose([SubgraphSource(name, subgraph_sdl(load_schema(name))) for name in SUBGRAPHS])


def build_gateway() -> Gateway:
    transports = {
        name: InProcessTransport(in_process_executor(load_schema(name))) for name in SUBGRAPHS
    }
    return Gateway(build_supergraph(), transports)


def create_app(runtime: Runtime) -> Starlette:
    """The router app over a prepared runtime (database started and migrated)."""
    settings = runtime.settings

    async def context_factory(request: Request) -> Context:
        assert runtime.sessions is not None
        context = Context.open(
            runtime.sessions,
            tenant_id=request.state.tenant_id,
            request_id=request.headers.get("x-request-id"),
            headers=request.headers,
            debug=settings.debug,
        )
        request.state.context = context  # closed by RequestScopeMiddleware
        return context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.open()
        assert runtime.sessions is not None
        bus = event_bus(settings.redis_url)
        relay = OutboxRelay(runtime.sessions, bus, runtime.database_url)
        relay.start()
        try:
            yield
        finally:
            await relay.stop()
            await bus.close()
            await runtime.close()

    app = create_router_app(
        build_gateway(),
        context_factory=context_factory,
        readiness=runtime.check_ready,
        lifespan=lifespan,
        graphiql=settings.graphiql,
        debug=settings.debug,
    )
    app.add_middleware(
        RequestScopeMiddleware, lookup=runtime.tenant_id, default=settings.default_tenant
    )
    return app
