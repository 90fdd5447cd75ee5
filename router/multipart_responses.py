"""A subscriber's responses as the body of a multipart subscription response
(router/multipart_subscriptions.py), heartbeats between them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from router.multipart_subscriptions import END, HEARTBEAT_SECONDS, part, transport_error
from router.subscriptions import SlowSubscriber, Subscriber

SLOW = "Subscriber too slow: resume with after"


async def multipart_stream(
    subscriber: Subscriber,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    ended: Awaitable[tuple[str, str]] | None = None,
) -> AsyncIterator[bytes]:
    """The body of a multipart subscription response: the subscriber's responses (encoded
    JSON, as :class:`router.subscriptions.Subscriber` hands them out) with heartbeats between.

    ``ended`` returns ``(code, message)`` once the stream must stop early (the caller's
    credentials expired or were withdrawn); the stream then ends with that transport error.
    A subscriber that falls behind ends it with ``SUBSCRIBER_TOO_SLOW``. The subscriber is
    closed however the stream ends, the client going away included."""
    watcher = asyncio.ensure_future(ended) if ended is not None else None
    iterator = aiter(subscriber)
    pending: asyncio.Future[str] = asyncio.ensure_future(anext(iterator))
    try:
        yield part("{}")
        while True:
            waiting: set[asyncio.Future[Any]] = {pending} if watcher is None else {pending, watcher}
            done, _ = await asyncio.wait(waiting, timeout=heartbeat, return_when="FIRST_COMPLETED")
            if pending in done:
                try:
                    encoded = pending.result()
                except StopAsyncIteration:
                    break
                except SlowSubscriber:
                    yield transport_error("SUBSCRIBER_TOO_SLOW", SLOW)
                    break
                yield part('{"payload":' + encoded + "}")
                pending = asyncio.ensure_future(anext(iterator))
            elif watcher is not None and watcher in done:
                yield transport_error(*watcher.result())
                break
            else:
                yield part("{}")
        yield END
    finally:
        for future in (pending, watcher):
            if future is not None:
                future.cancel()
                with contextlib.suppress(BaseException):
                    await future
        subscriber.close()
