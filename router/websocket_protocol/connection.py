"""One GraphQL WebSocket connection, from ``connection_init`` to its close.

Its operations run as tasks of their own; helper tasks ping, and close the connection when its
credentials expire or are withdrawn, or when its client stops reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from router.execution.transport import EventScoped
from router.gateway import RequestError
from router.subscriptions import Encoded, SlowSubscriber, WriteNow
from router.websocket_protocol.admission import Close, ConnectionRefused, Grant
from router.websocket_protocol.dialects import DIALECTS, LEGACY_PROTOCOL, Dialect
from router.websocket_protocol.frames import FRAMES, FrameSink, message_frame

if TYPE_CHECKING:
    from router.websocket_protocol.endpoint import GraphQLWebSocket

logger = logging.getLogger(__name__)
SLOW = "Subscriber too slow: resume with after"
CLOSE_GRACE_SECONDS = 10.0


class _Closed(Exception):
    """The connection is over (closed by us or by the client)."""


class Connection:
    """One WebSocket connection: its initialisation, its operations, keep-alive and close."""

    def __init__(self, endpoint: GraphQLWebSocket, websocket: WebSocket, dialect: Dialect) -> None:
        self.endpoint = endpoint
        self.dialect = dialect
        self.limits = endpoint.limits
        self.websocket = websocket
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.grant: Grant | None = None
        self._send_lock = asyncio.Lock()
        self._sends = 0  # sends holding or awaiting the lock: frames written at once wait
        self._closing = False
        self._sending_since: float | None = None
        self._main: asyncio.Task[Any] | None = None
        self._frames: FrameSink | None = websocket.scope.get("extensions", {}).get(FRAMES)

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
        # The payload comes encoded, once for every subscriber it goes to; so does its frame
        # where the server takes frames (subscribers with equal ids share it).
        prefix = (
            f'{{"id":{orjson.dumps(identifier).decode()},"type":"{self.dialect.next}","payload":'
        )
        if self._frames is not None:
            subscriber.write_now = self._frame_writer(self._frames, prefix)
        try:
            async for encoded in subscriber:
                await self._send_text(prefix + encoded + "}")
            await self._send({"id": identifier, "type": "complete"})
        except SlowSubscriber:
            await self.close(Close.TRY_AGAIN_LATER, SLOW)
        finally:
            subscriber.close()

    def _frame_writer(self, frames: FrameSink, prefix: str) -> WriteNow:
        """The subscription's ``write_now``: called for every subscriber of every event, so
        it is one function that tests two attributes and finds the frame made for its
        prefix (message_frame makes it for the first subscriber with that prefix)."""

        def write_now(encoded: Encoded) -> bool:
            # Not while a send is under way or waiting (it waits for the client: this
            # response waits its turn in the queue), nor once the connection is closing.
            if self._closing or self._sends:
                return False
            frame = encoded.derived.get(prefix) or message_frame(encoded, prefix)
            try:
                return frames.write_frame(frame)
            except Exception:  # this socket's trouble: not the other subscribers' (same loop)
                logger.exception("writing a subscription frame failed; sending it the slow way")
                return False

        return write_now

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
                ping = asyncio.create_task(self._ping(keepalive))

    async def _ping(self, kind: str) -> None:
        """A keep-alive, in a task of its own: a blocked send must not stop the watch. The
        connection's end is the main loop's to handle (no unretrieved exception here)."""
        with contextlib.suppress(_Closed):
            await self._send({"type": kind})

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(Close.FORBIDDEN, "Credentials expired")

    async def _revoke(self, revoked: Callable[[], Awaitable[str]]) -> None:
        await self.close(Close.FORBIDDEN, await revoked())

    async def _send(self, message: dict[str, Any]) -> None:
        await self._send_text(orjson.dumps(message).decode())

    async def _send_text(self, text: str) -> None:
        self._sends += 1
        try:
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
        finally:
            self._sends -= 1

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


def _payload_of(message: dict[str, Any]) -> dict[str, Any]:
    payload = message.get("payload")
    return {"payload": payload} if isinstance(payload, dict) else {}
