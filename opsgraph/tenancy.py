"""Which tenant a GraphQL request speaks for, and the end of its request context.

Until token authentication lands, the tenant comes from the `X-OpsGraph-Tenant` header
(slug or id), or the configured default tenant. An unknown tenant is refused with 401 and
an UNAUTHENTICATED error before any GraphQL work starts. Whatever request context the app
put into the request state as `context` is closed once the response is sent."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import orjson
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

TENANT_HEADER = "x-opsgraph-tenant"

TenantLookup = Callable[[str], Awaitable[uuid.UUID | None]]


def needs_tenant(scope: Scope) -> bool:
    """GraphQL requests need a tenant; GraphiQL's page and static assets do not."""
    if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/graphql"):
        return False
    if scope["method"] == "POST":
        return True
    return scope["method"] == "GET" and "query" in QueryParams(scope.get("query_string", b""))


class RequestScopeMiddleware:
    """Puts `tenant_id` into the request state (or answers 401 for an unknown tenant), and
    closes the request's context (its database session) after the response."""

    def __init__(self, app: ASGIApp, *, lookup: TenantLookup, default: str) -> None:
        self.app = app
        self.lookup = lookup
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not needs_tenant(scope):
            await self.app(scope, receive, send)
            return
        reference = Headers(scope=scope).get(TENANT_HEADER) or self.default
        tenant_id = await self.lookup(reference) if len(reference) <= 100 else None
        if tenant_id is None:
            body = orjson.dumps(
                {
                    "errors": [
                        {
                            "message": f"Unknown tenant {reference[:100]!r}",
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ]
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        state = scope.setdefault("state", {})
        state["tenant_id"] = tenant_id
        try:
            await self.app(scope, receive, send)
        finally:
            context = state.pop("context", None)
            if context is not None:
                await context.close()
