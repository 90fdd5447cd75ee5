"""A stand-alone subgraph's subscriptions over HTTP: streamed responses for a request whose
`Accept` asks for them — multipart (router/http_streams/multipart.py, Apollo Router's
protocol) or server-sent events (router/http_streams/sse.py, Hive Gateway's default) — and a
clear refusal for a subscription sent as a plain request.

The request is authenticated like any other (RequestScopeMiddleware: the caller's token,
the router's secret); once its subscription starts, the request's deadline is lifted and the
stream lasts until the subscription ends, the client goes away, or the caller's credentials
expire or are withdrawn (a deactivated user): what closes a WebSocket with 4403 ends the
stream with a FORBIDDEN error. A principal holds at most `max_streams` streams at once (as
many subscriptions as its WebSockets could hold); one more is RATE_LIMITED (HTTP 429).
Anything else with such an `Accept` (a query, a refused document) is left to the GraphQL
view, which answers it as JSON."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsgraph.auth.active_users import ActiveUserCache
from opsgraph.subgraph_operations import SubgraphOperations
from opsgraph.websocket_connections import holder_of
from resolvers.context import Context
from resolvers.principal import Principal
from router.gateway import RequestError
from router.http_params import (
    BadRequest,
    GraphQLParams,
    params_from_body,
    params_from_query_string,
)
from router.http_streams.multipart import ACCEPT
from router.http_streams.responses import Framing, framing_for, streamed
from router.subscriptions import Subscriber, Subscriptions

SUBSCRIPTION_NEEDS_STREAM = (
    f"A subscription over HTTP needs `Accept: {ACCEPT}` (multipart subscriptions) or "
    "`Accept: text/event-stream` (server-sent events); or subscribe over WebSocket "
    "(graphql-transport-ws) on this same path"
)


# Nothing between caches or buffers a stream (X-Accel-Buffering: nginx flushes each part).
STREAM_HEADERS = {"cache-control": "no-cache, no-transform", "x-accel-buffering": "no"}


def plain_subscription_refused() -> RequestError:
    """The answer to a subscription sent as an ordinary request."""
    return RequestError.single("BAD_REQUEST", SUBSCRIPTION_NEEDS_STREAM, status=406)


class StreamedSubscriptions:
    """ASGI in front of the subgraph's GraphQL view: subscriptions asked for as a stream
    stream here; every other request goes on to `view`."""

    def __init__(
        self,
        view: ASGIApp,
        operations: SubgraphOperations,
        subscriptions: Subscriptions,
        open_context: Callable[[Request], Awaitable[Context]],
        active_users: ActiveUserCache,
        *,
        max_streams: int,
    ) -> None:
        self.view = view
        self.operations = operations
        self.subscriptions = subscriptions
        self.open_context = open_context
        self.active_users = active_users
        self.max_streams = max_streams
        self.streams: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        framing = framing_for(request.headers.get("accept", ""))
        if scope["type"] != "http" or framing is None:
            await self.view(scope, receive, send)
            return
        body = await request.body()
        params = self._subscription(request, body)
        if params is None or params.query is None:
            await self.view(scope, _replaying(body, receive), send)
            return
        query = params.query
        context = await self.open_context(request)
        holder = holder_of(context.principal, request.client.host if request.client else "")
        try:
            if self.streams[holder] >= self.max_streams:
                raise RequestError.single(
                    "RATE_LIMITED", "Too many subscription streams for this principal", 429
                )
            subscriber = self.subscriptions.subscribe(
                query, params.variables, params.operation_name, context
            )
        except RequestError as refused:
            await JSONResponse(
                {"errors": refused.errors}, status_code=refused.status, headers=refused.headers
            )(scope, receive, send)
            return
        self.streams[holder] += 1
        try:
            await self._stream(scope, receive, send, subscriber, framing, context.principal)
        finally:
            self.streams[holder] -= 1
            if not self.streams[holder]:
                del self.streams[holder]

    def _subscription(self, request: Request, body: bytes) -> GraphQLParams | None:
        """The request's parameters if it is a valid subscription; None leaves it to the
        view (which answers what is wrong with it, or runs it)."""
        try:
            params = (
                params_from_query_string(request.query_params)
                if request.method == "GET"
                else params_from_body(body)
            )
            if params.query is None:
                return None
            kind = self.operations.operation_type(params.query, params.operation_name)
        except (BadRequest, RequestError):
            return None
        return params if kind == "subscription" else None

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        subscriber: Subscriber,
        framing: Framing,
        principal: Principal,
    ) -> None:
        deadline = scope.get("state", {}).get("deadline")
        if isinstance(deadline, asyncio.Timeout):
            deadline.reschedule(None)
        stream = streamed(subscriber, framing, ended=self._ended(principal))
        response = StreamingResponse(stream, headers=STREAM_HEADERS)
        response.headers["content-type"] = framing.content_type  # as is: no charset added
        await response(scope, receive, send)

    async def _ended(self, principal: Principal) -> tuple[str, str]:
        """Returns once the caller's credentials expire or its user is deactivated."""
        waits: list[asyncio.Task[str]] = []
        if principal.expires_at is not None:
            waits.append(asyncio.create_task(_expiry(principal.expires_at)))
        if principal.user_id is not None:
            revoked = self.active_users.revoked(principal.tenant_id, principal.user_id)
            waits.append(asyncio.create_task(revoked))
        if not waits:
            await asyncio.Future()  # never
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            return "FORBIDDEN", done.pop().result()
        finally:
            for task in waits:
                task.cancel()


async def _expiry(expires_at: float) -> str:
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    return "Credentials expired"


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for an app that reads the body again: the body once, then the client's own
    messages (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
