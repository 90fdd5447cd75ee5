"""A lean WebSocket client for the subscription benchmark: one asyncio protocol per socket
that takes each text message in the event loop's read callback, stamped with the instant its
bytes reached the process.

With the `websockets` asyncio client, a thousand subscribers at 20 events/s kept the
driver's core busy (its message assembler, a future and a task wake-up per message): the
driver then read its sockets late, and its own backlog showed up as the server's latency.
Here the protocol itself (handshake, frames, masking, pings, the closing handshake) is the
`websockets` sans-I/O layer (`ClientProtocol`), fed straight from `data_received`; a message
costs its parse and a callback, no task or future, so the figures measure the server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

CLOSE_TIMEOUT = 10.0
"""Seconds a client waits for the server to end TCP after the closing handshake (RFC 6455
§7.1.1 leaves that to the server); the `websockets` clients' default."""

OnMessage = Callable[[bytes, float], None]
"""Called with each text message's payload and the instant (time.perf_counter) its last
bytes were read."""


class WebSocket(asyncio.Protocol):
    """One client connection; messages go to ``on_message`` as they are read."""

    def __init__(self, url: str, subprotocol: str, on_message: OnMessage) -> None:
        self._protocol = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol(subprotocol)])
        self._on_message = on_message
        self._transport: asyncio.Transport | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._protocol.send_request(self._protocol.connect())
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
        if not self.opened.done():
            self.opened.set_exception(
                self._protocol.handshake_exc or exc or ConnectionError("closed in the handshake")
            )
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        protocol = self._protocol
        protocol.receive_data(data)
        for event in protocol.events_received():
            if not isinstance(event, Frame):  # the handshake's response
                if protocol.handshake_exc is None:
                    self.opened.set_result(None)
            elif event.opcode is Opcode.TEXT:
                if not event.fin:
                    raise ValueError("fragmented messages are not expected from the server")
                self._on_message(event.data, now)
        if protocol.handshake_exc is not None and not self.opened.done():
            self.opened.set_exception(protocol.handshake_exc)
        self._flush()  # pongs, the close frame's echo, the end of the stream

    def eof_received(self) -> None:
        self._protocol.receive_eof()
        self._flush()

    def _flush(self) -> None:
        """Write what the protocol has to send; half-close when it ends the stream, and
        close the socket if the server has not ended it CLOSE_TIMEOUT after a close."""
        transport = self._transport
        assert transport is not None
        for data in self._protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                transport.write_eof()
        if self._protocol.close_expected() and self._close_timer is None:
            self._close_timer = asyncio.get_running_loop().call_later(
                CLOSE_TIMEOUT, transport.close
            )

    def send(self, text: str) -> None:
        if self._protocol.state is OPEN:
            self._protocol.send_text(text.encode())
            self._flush()

    async def close(self) -> None:
        """A normal closure (1000), then the server's end of the connection."""
        if self._protocol.state is OPEN:
            self._protocol.send_close(1000)
            self._flush()
        await self.closed


async def connect(
    host: str, port: int, path: str, subprotocol: str, on_message: OnMessage
) -> WebSocket:
    """An open connection (its handshake done)."""
    loop = asyncio.get_running_loop()
    _, socket = await loop.create_connection(
        lambda: WebSocket(f"ws://{host}:{port}{path}", subprotocol, on_message), host, port
    )
    await socket.opened
    return socket
