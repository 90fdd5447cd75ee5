"""The server's WebSocket protocol offers the router its frame sink (the scope extension):
frames written through it reach the client between ordinary ``websocket.send`` messages, and
it refuses frames once the client stops reading or the connection is gone, so nothing is
buffered without bound. A real uvicorn server, and a client on the `websockets` package."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect

from opsgraph.websocket_server import FrameWritingWebSockets
from router.websocket_protocol.frames import FRAMES, FrameSink, text_frame
from tests.support import free_port

BIG = text_frame("x" * 65536)


class App:
    """Accepts, writes what the test asks for, and reports what the sink answered."""

    def __init__(self) -> None:
        self.answers: list[bool] = []
        self.done = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        sink: FrameSink = scope["extensions"][FRAMES]
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        request = (await receive())["text"]
        if request == "interleave":
            self.answers.append(sink.write_frame(text_frame("first")))
            await send({"type": "websocket.send", "text": "second"})
            self.answers.append(sink.write_frame(text_frame("third")))
        elif request == "flood":
            for _ in range(10_000):  # far beyond any socket buffer
                if not sink.write_frame(BIG):
                    break
                self.answers.append(True)
            self.answers.append(False)
        message = await receive()
        assert message["type"] == "websocket.disconnect"
        self.answers.append(sink.write_frame(text_frame("too late")))
        self.done.set()


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, App]]:
    app, port = App(), free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", ws=FrameWritingWebSockets
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/", app
    server.should_exit = True
    await task


async def test_frames_arrive_in_order_between_ordinary_messages(
    served: tuple[str, App],
) -> None:
    url, app = served
    async with connect(url) as client:
        await client.send("interleave")
        assert [await client.recv() for _ in range(3)] == ["first", "second", "third"]
    await asyncio.wait_for(app.done.wait(), 10)
    assert app.answers == [True, True, False]  # the last one after the client left


async def test_a_client_that_stops_reading_stops_taking_frames(
    served: tuple[str, App],
) -> None:
    url, app = served
    async with connect(
        url, max_queue=1, close_timeout=0.5
    ) as client:  # reads one frame, then pushes back
        await client.send("flood")
        while not app.answers or app.answers[-1]:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(app.done.wait(), 10)
    written = app.answers.index(False)
    assert 0 < written < 10_000  # refused once the socket's buffer was full
    assert app.answers[written:] == [False, False]
