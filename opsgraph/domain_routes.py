"""The HTTP endpoints domains declare beside their GraphQL API (a manifest's `routes`), as
Starlette routes of the process serving those domains. Each endpoint gets the application
role's sessions of the running process (they exist once its lifespan has opened the
runtime)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from opsgraph.domains import Registry
from resolvers.domain import DomainRoute

Sessions = Callable[[], async_sessionmaker[AsyncSession]]


def domain_routes(
    registry: Registry, sessions: Sessions, names: Iterable[str] | None = None
) -> list[Route]:
    """The routes of the domains named (every domain's when None)."""
    return [
        Route(route.path, _serve(route, sessions), methods=list(route.methods))
        for _, route in registry.routes(names)
    ]


def _serve(route: DomainRoute, sessions: Sessions) -> Callable[[Request], object]:
    async def endpoint(request: Request) -> Response:
        return await route.endpoint(request, sessions())

    return endpoint


def authenticated_paths(registry: Registry, names: Iterable[str] | None = None) -> frozenset[str]:
    """The paths of the routes (of the domains named) that authenticate their callers as
    GraphQL requests are (RequestScopeMiddleware's `principal_paths`)."""
    return frozenset(route.path for _, route in registry.routes(names) if route.authenticated)
