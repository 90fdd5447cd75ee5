"""The scope of one HTTP GraphQL request, before and after any GraphQL work: its principal
(request_auth.py) into the request state, a token from each of its rate-limit buckets, the
time limit (its `asyncio.Timeout` in the state as `deadline`), and the end of whatever
request context the app stored as `context` once the response is sent. Domain endpoints
that authenticate as GraphQL does (`principal_paths`) get the same scope. A refused request
gets its HTTP status and an error with its code (refusals.py). The rate-limit buckets the
request took its token from stay in the state as `rate_limit_keys`, for the rest of a
mutation's charge (mutation_charges.py)."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsgraph.auth.principals import Refused
from opsgraph.ratelimit import RateLimiter, limit_keys, take_each
from opsgraph.refusals import send_refusal
from opsgraph.request_auth import NotAuthenticated, PrincipalSource, authenticate, needs_principal
from opsgraph.telemetry.fields import bind_caller


class RequestScopeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: PrincipalSource,
        limiter: RateLimiter | None = None,
        timeout_seconds: float | None = None,
        principal_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = limiter
        self.timeout_seconds = timeout_seconds
        self.principal_paths = principal_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not needs_principal(scope, self.principal_paths):
            await self.app(scope, receive, send)
            return
        try:
            principal = await authenticate(self.authenticator, scope)
        except NotAuthenticated as refusal:
            await send_refusal(send, refusal.refused, retry_after=refusal.retry_after)
            return
        bind_caller(principal)
        state = scope.setdefault("state", {})
        if self.limiter is not None:
            keys = limit_keys(principal, (scope.get("client") or ("unknown", 0))[0])
            decision = await take_each(self.limiter, keys)
            if not decision.allowed:
                await send_refusal(
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
            # A streamed subscription lifts its deadline (`deadline.reschedule(None)`).
            async with asyncio.timeout(self.timeout_seconds) as deadline:
                state["deadline"] = deadline
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if not started:
                await send_refusal(
                    send, Refused(504, "GATEWAY_TIMEOUT", "The request took too long")
                )
        finally:
            context = state.pop("context", None)
            if context is not None:
                await context.close()
