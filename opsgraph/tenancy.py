"""Who a GraphQL request speaks for, and the end of its request context.

Before any GraphQL work starts, the Authenticator turns the request's headers into a
principal (a validated bearer token, or the development anonymous principal) and puts it
into the request state; a refused request gets its HTTP status and an error with its code.
Whatever request context the app stored as `context` is closed once the response is sent.
The rate-limit buckets the request took its token from stay in the state as
`rate_limit_keys`, for the rest of a mutation's charge (mutation_charges.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Protocol

import orjson
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.failures import is_connection_failure
from opsgraph.auth.principals import Refused
from opsgraph.ratelimit import Decision, RateLimiter, limit_keys, retry_after_header
from resolvers.errors import DATABASE_UNAVAILABLE
from resolvers.principal import Principal
from router.execution.errors import RETRY_AFTER_SECONDS
from router.http_params import is_graphql_get

log = logging.getLogger(__name__)


class PrincipalSource(Protocol):
    """The Authenticator, or a wrapper of it (the stand-alone subgraph's)."""

    async def principal(self, headers: Mapping[str, str]) -> Principal: ...


def needs_principal(scope: Scope) -> bool:
    """GraphQL requests need one; GraphiQL's page, assets and the well-known files do not."""
    if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/graphql"):
        return False
    if scope["method"] == "POST":
        return True
    return scope["method"] == "GET" and is_graphql_get(QueryParams(scope.get("query_string", b"")))


class RequestScopeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: PrincipalSource,
        limiter: RateLimiter | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = limiter
        self.timeout_seconds = timeout_seconds

    async def _take(self, keys: list[str]) -> Decision:
        """A token from every bucket the request counts against; the first refusal wins."""
        assert self.limiter is not None
        for key in keys:
            decision = await self.limiter.take(key)
            if not decision.allowed:
                return decision
        return Decision(True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not needs_principal(scope):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticator.principal(Headers(scope=scope))
        except Refused as refused:
            await _refuse(send, refused)
            return
        except Exception as error:
            if not is_connection_failure(error):
                raise
            # The tenant directory or the custom roles could not be read: retry later.
            log.warning("database unavailable while authenticating: %s", error)
            await _refuse(
                send,
                Refused(503, "SERVICE_UNAVAILABLE", DATABASE_UNAVAILABLE),
                retry_after=RETRY_AFTER_SECONDS,
            )
            return
        state = scope.setdefault("state", {})
        if self.limiter is not None:
            keys = limit_keys(principal, (scope.get("client") or ("unknown", 0))[0])
            decision = await self._take(keys)
            if not decision.allowed:
                await _refuse(
                    send,
                    Refused(429, "RATE_LIMITED", "Too many requests"),
                    retry_after=decision.retry_after,
                )
                return
            state["rate_limit_keys"] = keys
        state["principal"] = principal
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            # A request that outlives the limit is cancelled: its unit of work rolls back.
            async with asyncio.timeout(self.timeout_seconds):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if not started:
                await _refuse(send, Refused(504, "GATEWAY_TIMEOUT", "The request took too long"))
        finally:
            context = state.pop("context", None)
            if context is not None:
                await context.close()


async def _refuse(send: Send, refused: Refused, *, retry_after: float | None = None) -> None:
    body = orjson.dumps(
        {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
    )
    headers = [(b"content-type", b"application/json")]
    if refused.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="opsgraph"'))
    if retry_after is not None:
        headers.append((b"retry-after", retry_after_header(retry_after).encode()))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
