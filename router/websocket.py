"""GraphQL over WebSocket on ``/graphql``: ``graphql-transport-ws``, and the legacy ``graphql-ws``.

Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md. The legacy
protocol of subscriptions-transport-ws (``start``/``data``/``stop``, server ``ka``) is spoken
under the same rules, which make it safe: nothing before ``connection_init``, the same limits
and close codes; a client offering both gets ``graphql-transport-ws``, one offering neither 4406.

- The upgrade is refused (HTTP 403) when its ``Origin`` is neither this server's own nor
  allowed by ``origin_allowed`` (browsers send it; other clients usually do not).
- ``connection_init`` must come first and within ``init_timeout`` (4408); anything else
  first is 4401 (subscribe) or 4400; a second one is 4429. Its payload (and the upgrade's
  headers) authenticate the connection through the application's ``authenticate``, which
  may refuse it with its own close code (4403, or 4429 for too many connections).
- Operations: subscriptions stream through :class:`Subscriptions`; queries and mutations
  over the socket get one ``next`` and ``complete``. Refused operations get ``error``.
  A reused id is 4409; more than ``max_subscriptions`` at once is 4429; a malformed message
  is 4400.
- The server pings every ``keepalive`` seconds and answers pings. A connection whose
  credentials expire, or are withdrawn (the grant's ``revoked`` returns), is closed with
  4403; a subscriber that does not read its events (a send blocked for ``send_timeout``, or
  ``queue_limit`` responses behind) with 1013.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NoReturn
from urllib.parse import urlsplit

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from router.execution.transport import EventScoped
from router.gateway import Gateway, RequestError
from router.subscriptions import SlowSubscriber, Subscriptions

logger = logging.getLogger(__name__)
PROTOCOL = "graphql-transport-ws"
LEGACY_PROTOCOL = "graphql-ws"


@dataclass(frozen=True, slots=True)
class Dialect:
    """The message names of one protocol."""

    subscribe: str
    stop: str
    next: str
    ping: str  # what the server sends as keep-alive
    answers_pings: bool


DIALECTS = {
    PROTOCOL: Dialect("subscribe", "complete", "next", "ping", answers_pings=True),
    LEGACY_PROTOCOL: Dialect("start", "stop", "data", "ka", answers_pings=False),
}
SLOW = "Subscriber too slow: resume with after"
CLOSE_GRACE_SECONDS = 10.0


class Close(IntEnum):
    TRY_AGAIN_LATER = 1013
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    INIT_TIMEOUT = 4408
    SUBSCRIBER_EXISTS = 4409
    TOO_MANY = 4429
    INTERNAL_ERROR = 4500


@dataclass(frozen=True, slots=True)
class Grant:
    """An authenticated connection: the context its operations run with, when its
    credentials expire (epoch seconds), what to call when it ends, and what returns (with
    the reason) once its credentials are withdrawn before they expire."""

    context: object
    expires_at: float | None = None
    release: Callable[[], Awaitable[None]] | None = None
    revoked: Callable[[], Awaitable[str]] | None = None


class ConnectionRefused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


# authenticate(upgrade headers, connection_init payload, client address) -> Grant
Authenticate = Callable[[Mapping[str, str], Mapping[str, Any], str], Awaitable[Grant]]


@dataclass(frozen=True, slots=True)
class WebSocketLimits:
    init_timeout: float = 10.0
    max_subscriptions: int = 100
    max_message_bytes: int = 1 << 20
    keepalive: float = 15.0
    send_timeout: float = 10.0


class _Closed(Exception):
    """The connection is over (closed by us or by the client)."""


class GraphQLWebSocket:
    """The WebSocket endpoint on /graphql."""

    def __init__(
        self,
        gateway: Gateway,
        subscriptions: Subscriptions,
        authenticate: Authenticate,
        *,
        origin_allowed: Callable[[str], bool],
        limits: WebSocketLimits | None = None,
    ) -> None:
        self.gateway = gateway
        self.subscriptions = subscriptions
        self.authenticate = authenticate
        self.origin_allowed = origin_allowed
        self.limits = limits or WebSocketLimits()

    async def serve(self, websocket: WebSocket) -> None:
        """The endpoint: one call per WebSocket connection."""
        origin = websocket.headers.get("origin")
        if origin is not None and not (
            _same_origin(origin, websocket.headers.get("host")) or self.origin_allowed(origin)
        ):
            await websocket.close(code=Close.FORBIDDEN)  # before accept: HTTP 403
            return
        offered = websocket.scope.get("subprotocols", ())
        chosen = next((name for name in DIALECTS if name in offered), None)
        if chosen is None:
            await websocket.accept()
            await websocket.close(Close.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=chosen)
        await _Connection(self, websocket, DIALECTS[chosen]).run()


class _Connection:
    def __init__(self, endpoint: GraphQLWebSocket, websocket: WebSocket, dialect: Dialect) -> None:
        self.endpoint = endpoint
        self.dialect = dialect
        self.limits = endpoint.limits
        self.websocket = websocket
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.grant: Grant | None = None
        self._send_lock = asyncio.Lock()
        self._closing = False
        self._sending_since: float | None = None
        self._main: asyncio.Task[Any] | None = None

    async def run(self) -> None:
        self._main = asyncio.current_task()
        helpers: list[asyncio.Task[None]] = []
        try:
            self.grant = await self._initialise()
            await self._send({"type": "connection_ack"})
            helpers.append(asyncio.create_task(self._watch()))
            if self.grant.expires_at is not None:
                helpers.append(asyncio.create_task(self._expire(self.grant.expires_at)))
            if self.grant.revoked is not None:
                helpers.append(asyncio.create_task(self._revoke(self.grant.revoked)))
            while True:
                await self._dispatch(await self._receive())
        except (_Closed, asyncio.CancelledError):
            pass  # cancelled: an operation or helper closed the connection
        except Exception:
            logger.exception("WebSocket connection failed")
            with contextlib.suppress(_Closed):
                await self.close(Close.INTERNAL_ERROR, "Internal server error")
        finally:
            for task in [*helpers, *self.operations.values()]:
                task.cancel()
            for task in [*helpers, *self.operations.values()]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if self.grant is not None and self.grant.release is not None:
                await self.grant.release()

    async def _initialise(self) -> Grant:
        try:
            async with asyncio.timeout(self.limits.init_timeout):
                message = await self._receive()
        except TimeoutError:
            await self.close(Close.INIT_TIMEOUT, "Connection initialisation timeout")
            raise _Closed from None
        kind = message.get("type")
        if kind == self.dialect.subscribe:
            await self.close(Close.UNAUTHORIZED, "Unauthorized")
        if kind != "connection_init":
            await self.close(Close.BAD_REQUEST, "connection_init must come first")
        payload = message.get("payload") or {}
        if not isinstance(payload, Mapping):
            await self.close(Close.BAD_REQUEST, "connection_init payload must be an object")
        client = self.websocket.client
        try:
            return await self.endpoint.authenticate(
                self.websocket.headers, payload, client.host if client else "unknown"
            )
        except ConnectionRefused as refused:
            await self.close(refused.code, refused.reason)
            raise _Closed from None

    async def _receive(self) -> dict[str, Any]:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise _Closed
        text = message.get("text")
        if text is None:
            await self.close(Close.BAD_REQUEST, "Messages must be text")
        if len(text) > self.limits.max_message_bytes:
            await self.close(Close.BAD_REQUEST, "Message too large")
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            await self.close(Close.BAD_REQUEST, "Invalid message received")
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            await self.close(Close.BAD_REQUEST, "Invalid message received")
        return parsed

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping" and self.dialect.answers_pings:
            await self._send({"type": "pong", **_payload_of(message)})
        elif kind == "pong" and self.dialect.answers_pings:
            return
        elif kind == "connection_init":
            await self.close(Close.TOO_MANY, "Too many initialisation requests")
        elif kind == "connection_terminate" and self.dialect is DIALECTS[LEGACY_PROTOCOL]:
            await self.close(1000, "Terminated by the client")
        elif kind == self.dialect.subscribe:
            await self._start(message)
        elif kind == self.dialect.stop:
            task = self.operations.get(str(message.get("id")))
            if task is not None:
                task.cancel()
        else:
            await self.close(Close.BAD_REQUEST, f"Unexpected message of type {kind[:40]!r}")

    async def _start(self, message: dict[str, Any]) -> None:
        identifier, payload = message.get("id"), message.get("payload")
        if (
            not isinstance(identifier, str)
            or not 0 < len(identifier) <= 128
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query") or "", str)  # absent: a persisted document
        ):
            await self.close(Close.BAD_REQUEST, "Invalid subscribe message")
        if identifier in self.operations:
            await self.close(Close.SUBSCRIBER_EXISTS, f"Subscriber for {identifier} already exists")
        if len(self.operations) >= self.limits.max_subscriptions:
            await self.close(Close.TOO_MANY, "Too many subscriptions on this connection")
        task = asyncio.create_task(self._operation(identifier, payload))
        self.operations[identifier] = task
        task.add_done_callback(lambda _: self.operations.pop(identifier, None))

    async def _operation(self, identifier: str, payload: dict[str, Any]) -> None:
        assert self.grant is not None
        context = self.grant.context
        gateway = self.endpoint.gateway
        # APQ (extensions.persistedQuery) and trusted document ids (documentId) as over HTTP;
        # an empty query beside them is no text (clients that must send a string send "").
        extensions, document_id = payload.get("extensions"), payload.get("documentId")
        query = payload.get("query") or None
        variables = payload.get("variables")
        name = payload.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            await self._error(identifier, "BAD_REQUEST", "Variables must be an object")
            return
        if name is not None and not isinstance(name, str):
            await self._error(identifier, "BAD_REQUEST", "operationName must be a string")
            return
        if extensions is not None and not isinstance(extensions, dict):
            await self._error(identifier, "BAD_REQUEST", "extensions must be an object")
            return
        try:
            query = await gateway.document_text(query, extensions, document_id, context)
            kind = gateway.operation_type(query, name)
            if kind != "subscription":
                result = await gateway.execute_request(
                    query,
                    variables,
                    name,
                    context,
                    extensions=extensions,
                    document_id=document_id,
                )
                if isinstance(context, EventScoped):
                    await context.end_event()
                if result.status != 200:
                    await self._send(
                        {"id": identifier, "type": "error", "payload": result.body["errors"]}
                    )
                    return
                await self._send(
                    {"id": identifier, "type": self.dialect.next, "payload": result.body}
                )
                await self._send({"id": identifier, "type": "complete"})
                return
            subscriber = self.endpoint.subscriptions.subscribe(query, variables, name, context)
        except RequestError as error:
            await self._send({"id": identifier, "type": "error", "payload": error.errors})
            return
        # The payload comes encoded, once for every subscriber it goes to.
        prefix = (
            f'{{"id":{orjson.dumps(identifier).decode()},"type":"{self.dialect.next}","payload":'
        )
        try:
            async for encoded in subscriber:
                await self._send_text(prefix + encoded + "}")
            await self._send({"id": identifier, "type": "complete"})
        except SlowSubscriber:
            await self.close(Close.TRY_AGAIN_LATER, SLOW)
        finally:
            subscriber.close()

    async def _error(self, identifier: str, code: str, message: str) -> None:
        error = {"message": message, "extensions": {"code": code}}
        await self._send({"id": identifier, "type": "error", "payload": [error]})

    async def _watch(self) -> None:
        """Ping every `keepalive` seconds; close a connection whose client has not taken a
        message for `send_timeout` seconds (its send is still blocked)."""
        tick = min(self.limits.keepalive, self.limits.send_timeout) / 2
        pinged = time.monotonic()
        ping: asyncio.Task[None] | None = None
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            since = self._sending_since
            if since is not None and now - since > self.limits.send_timeout:
                await self.close(Close.TRY_AGAIN_LATER, SLOW)
            keepalive = self.dialect.ping
            if now - pinged >= self.limits.keepalive and (ping is None or ping.done()):
                pinged = now
                ping = asyncio.create_task(self._send({"type": keepalive}))

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(Close.FORBIDDEN, "Credentials expired")

    async def _revoke(self, revoked: Callable[[], Awaitable[str]]) -> None:
        await self.close(Close.FORBIDDEN, await revoked())

    async def _send(self, message: dict[str, Any]) -> None:
        await self._send_text(orjson.dumps(message).decode())

    async def _send_text(self, text: str) -> None:
        async with self._send_lock:
            if self._closing:
                raise _Closed
            self._sending_since = time.monotonic()
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                raise _Closed from None
            finally:
                self._sending_since = None

    async def close(self, code: int, reason: str) -> NoReturn:
        """Close the connection (once) and end the caller's work on it; the connection's
        main loop is cancelled when another task closes it."""
        if not self._closing:
            self._closing = True
            if self.websocket.application_state != WebSocketState.DISCONNECTED:
                # The close frame waits behind what the client has not read yet: a slow
                # client gets it once it reads again; a dead one is dropped after the grace.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                        await self.websocket.close(code, reason)
            if self._main is not None and self._main is not asyncio.current_task():
                self._main.cancel()
        raise _Closed


def _same_origin(origin: str, host: str | None) -> bool:
    """A page served by this server itself (e.g. the wallboard) may always connect."""
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()


def _payload_of(message: dict[str, Any]) -> dict[str, Any]:
    payload = message.get("payload")
    return {"payload": payload} if isinstance(payload, dict) else {}
