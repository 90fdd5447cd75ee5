"""A lean WebSocket client for the subscription benchmark: one asyncio protocol per socket
that takes each text message in the event loop's read callback, stamped with the instant its
bytes reached the process.

With the `websockets` client, a thousand subscribers at 20 events/s kept the driver's core
busy (frame parsing, its message assembler, a future and a task wake-up per message): the
driver then read its sockets late, and its own backlog showed up as the server's latency.
Here a message costs a frame header's parse and a callback, so the figures measure the
server. Only what the benchmark needs: the opening handshake (RFC 6455 §4), unfragmented
frames from the server, masked text frames to it, answers to pings, a close."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import Callable
from typing import cast

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
FIN = 0x80
ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OnMessage = Callable[[bytes, float], None]
"""Called with each text message's payload and the instant (time.perf_counter) its last
bytes were read."""


class HandshakeFailed(Exception):
    pass


def client_frame(opcode: int, data: bytes) -> bytes:
    """A masked, unfragmented frame (clients must mask, RFC 6455 §5.3)."""
    size = len(data)
    if size < 126:
        header = bytes((FIN | opcode, 0x80 | size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", FIN | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", FIN | opcode, 0x80 | 127, size)
    key = os.urandom(4)
    mask = (key * (size // 4 + 1))[:size]
    masked = (int.from_bytes(data, "big") ^ int.from_bytes(mask, "big")).to_bytes(size, "big")
    return header + key + masked


class WebSocket(asyncio.Protocol):
    """One client connection; messages go to ``on_message`` as they are read."""

    def __init__(self, host: str, path: str, subprotocol: str, on_message: OnMessage) -> None:
        self._key = base64.b64encode(os.urandom(16))
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self._key.decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
        ).encode()
        self._on_message = on_message
        self._buffer = bytearray()
        self._open = False
        self._transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or HandshakeFailed("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self._buffer += data
        if not self._open and not self._handshake():
            return
        self._frames(now)

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:])
        }
        accept = base64.b64encode(hashlib.sha1(self._key + ACCEPT_GUID).digest()).decode()
        if not head[0].startswith("HTTP/1.1 101") or headers.get("sec-websocket-accept") != accept:
            self.opened.set_exception(HandshakeFailed(head[0]))
            assert self._transport is not None
            self._transport.close()
            return False
        self._open = True
        self.opened.set_result(None)
        return True

    def _frames(self, now: float) -> None:
        buffer = self._buffer
        start, end = 0, len(buffer)
        while end - start >= 2:
            first, size = buffer[start], buffer[start + 1]
            offset = start + 2
            if size == 126:
                if end - offset < 2:
                    break
                size = int.from_bytes(buffer[offset : offset + 2], "big")
                offset += 2
            elif size == 127:
                if end - offset < 8:
                    break
                size = int.from_bytes(buffer[offset : offset + 8], "big")
                offset += 8
            elif size & 0x80:
                raise HandshakeFailed("the server masked a frame")
            if end - offset < size:
                break
            payload = bytes(buffer[offset : offset + size])
            start = offset + size
            opcode = first & 0x0F
            if not first & FIN:
                raise HandshakeFailed("fragmented frames are not expected from the server")
            if opcode == TEXT:
                self._on_message(payload, now)
            elif opcode == PING:
                self._write(PONG, payload)
            elif opcode == CLOSE:
                assert self._transport is not None
                self._transport.close()
        del buffer[:start]

    def _write(self, opcode: int, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(client_frame(opcode, data))

    def send(self, text: str) -> None:
        self._write(TEXT, text.encode())

    async def close(self) -> None:
        """A normal closure (1000), then the connection's end."""
        self._write(CLOSE, struct.pack("!H", 1000))
        if self._transport is not None:
            self._transport.close()
        await self.closed


async def connect(
    host: str, port: int, path: str, subprotocol: str, on_message: OnMessage
) -> WebSocket:
    """An open connection (its handshake done)."""
    loop = asyncio.get_running_loop()
    _, socket = await loop.create_connection(
        lambda: WebSocket(f"{host}:{port}", path, subprotocol, on_message), host, port
    )
    await socket.opened
    return socket
