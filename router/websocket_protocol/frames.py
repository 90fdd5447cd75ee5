"""Frames written straight to a connection's socket, encoded once for every subscriber.

An event goes to every wallboard as the same message (same operation, same message id, same
response). ASGI's ``websocket.send`` turns the text into a frame once per connection, through
every middleware's wrapper; a server that offers the :data:`FRAMES` scope extension (a
:class:`FrameSink`) takes an already encoded frame instead and writes it at once when the
socket can take it. Where it is absent (Starlette's test client, other servers) messages go
through ``websocket.send`` as before."""

from __future__ import annotations

import struct
from typing import Protocol

from router.subscriptions import Encoded

FRAMES = "opsgraph.websocket.frames"
TEXT = 0x81  # FIN + opcode 1 (text)


class FrameSink(Protocol):
    def write_frame(self, frame: bytes) -> bool:
        """Write whole encoded frames now; False (nothing written) when the connection
        cannot take it at once: it is closing, or its send buffer is full."""
        ...


def text_frame(text: str) -> bytes:
    """An unmasked, unfragmented text frame (RFC 6455 §5.2), as a server sends it."""
    data = text.encode()
    size = len(data)
    if size < 126:
        header = bytes((TEXT, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", TEXT, 127, size)
    return header + data


def message_frame(encoded: Encoded, prefix: str) -> bytes:
    """The frames of the messages ``prefix + response + "}"``, one per response, back to
    back (one write sends them all); made once per responses and prefix (the prefix holds
    the message id and type), whoever asks for them."""
    frame = encoded.derived.get(prefix)
    if frame is None:
        frame = encoded.derived[prefix] = b"".join(
            text_frame(f"{prefix}{text}}}") for text in encoded.texts
        )
    assert isinstance(frame, bytes)
    return frame
