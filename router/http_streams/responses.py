"""A subscriber's responses as the body of a streamed HTTP response: multipart
(router/http_streams/multipart.py) or server-sent events (router/http_streams/sse.py),
heartbeats between them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from router.http_streams import multipart, sse
from router.subscriptions import SlowSubscriber, Subscriber

HEARTBEAT_SECONDS = multipart.HEARTBEAT_SECONDS
SLOW = "Subscriber too slow: resume with after"


@dataclass(frozen=True, slots=True)
class Framing:
    """How one protocol writes a subscription's messages on an HTTP response."""

    content_type: str
    opening: bytes  # written as the stream starts, so that the client sees it open
    heartbeat: bytes
    response: Callable[[str], bytes]  # one response, as encoded JSON
    error: Callable[[str, str], bytes]  # why the stream stops early: (code, message)
    end: bytes


MULTIPART = Framing(
    multipart.CONTENT_TYPE,
    multipart.OPENING,
    multipart.part("{}"),
    lambda encoded: multipart.part('{"payload":' + encoded + "}"),
    multipart.transport_error,
    multipart.END,
)
SSE = Framing(sse.CONTENT_TYPE, b"", sse.HEARTBEAT, sse.next_event, sse.transport_error, sse.END)


def framing_for(accept: str) -> Framing | None:
    """The protocol an ``Accept`` header asks for (multipart first), if any."""
    if multipart.accepts_multipart(accept):
        return MULTIPART
    if sse.accepts_sse(accept):
        return SSE
    return None


async def streamed(
    subscriber: Subscriber,
    framing: Framing = MULTIPART,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    ended: Awaitable[tuple[str, str]] | None = None,
) -> AsyncIterator[bytes]:
    """The body of a streamed subscription response: the subscriber's responses (encoded
    JSON, as :class:`router.subscriptions.Subscriber` hands them out) with heartbeats
    after every ``heartbeat`` seconds of silence.

    ``ended`` returns ``(code, message)`` once the stream must stop early (the caller's
    credentials expired or were withdrawn); the stream then ends with that error. A
    subscriber that falls behind ends it with ``SUBSCRIBER_TOO_SLOW``. The subscriber is
    closed however the stream ends, the client going away included."""
    watcher = asyncio.ensure_future(ended) if ended is not None else None
    iterator = aiter(subscriber)
    pending: asyncio.Future[str] = asyncio.ensure_future(anext(iterator))
    try:
        if framing.opening:
            yield framing.opening
        while True:
            waiting: set[asyncio.Future[Any]] = {pending} if watcher is None else {pending, watcher}
            done, _ = await asyncio.wait(waiting, timeout=heartbeat, return_when="FIRST_COMPLETED")
            if pending in done:
                try:
                    encoded = pending.result()
                except StopAsyncIteration:
                    break
                except SlowSubscriber:
                    yield framing.error("SUBSCRIBER_TOO_SLOW", SLOW)
                    break
                yield framing.response(encoded)
                pending = asyncio.ensure_future(anext(iterator))
            elif watcher is not None and watcher in done:
                yield framing.error(*watcher.result())
                break
            else:
                yield framing.heartbeat
        yield framing.end
    finally:
        for future in (pending, watcher):
            if future is not None:
                future.cancel()
                with contextlib.suppress(BaseException):
                    await future
        subscriber.close()
