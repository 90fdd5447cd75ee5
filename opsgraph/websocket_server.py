"""uvicorn's WebSocket protocol, offering the router the frame-writing scope extension.

With it, a subscription's response goes to each socket as one frame encoded once for every
subscriber (router/websocket_protocol/frames.py) and written by the execution's own loop over
its subscribers, instead of a task per subscriber each sending through Starlette's and
uvicorn's ``websocket.send``. A frame is written only while the socket is open and its send
buffer below uvicorn's high-water mark; otherwise the router falls back to
``websocket.send``, which waits for the client as before (and so keeps the slow-client
limits)."""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from router.websocket_protocol.frames import FRAMES


class FrameWritingWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websockets protocol, whose scope carries itself as a FrameSink."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][FRAMES] = self  # read by the app's task, which runs later

    def write_frame(self, frame: bytes) -> bool:
        if (
            self.close_sent
            or self.disconnected
            or self.conn.state is not State.OPEN
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(frame)
        return True
