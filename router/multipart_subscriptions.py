"""Subscriptions over HTTP multipart responses, the protocol Apollo Router and Hive Gateway
speak (https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol).

A client asks with ``Accept: multipart/mixed;subscriptionSpec="1.0", application/json``;
the server answers ``multipart/mixed;boundary="graphql";subscriptionSpec="1.0"`` and sends
one JSON part per message:

- ``{}``: a heartbeat, at once (so the client sees the stream open) and every few seconds of
  silence (so that no proxy between takes the stream for dead);
- ``{"payload": <response>}``: one response of the subscription (``data``, maybe ``errors``);
- ``{"payload": null, "errors": [...]}``: a transport error, after which the stream ends;

then the closing delimiter. Both sides live here: :func:`multipart_stream` writes a
subscriber's responses, :func:`parts` reads them back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import orjson

from router.subscriptions import SlowSubscriber, Subscriber

BOUNDARY = "graphql"
ACCEPT = 'multipart/mixed;subscriptionSpec="1.0", application/json'
CONTENT_TYPE = f'multipart/mixed;boundary="{BOUNDARY}";subscriptionSpec="1.0"'
HEARTBEAT_SECONDS = 5.0
SLOW = "Subscriber too slow: resume with after"
_PART_HEAD = f"--{BOUNDARY}\r\ncontent-type: application/json\r\n\r\n".encode()
_END = f"--{BOUNDARY}--\r\n".encode()


def accepts_multipart(accept: str) -> bool:
    """Whether an ``Accept`` header asks for multipart subscriptions (any ``1.x`` spec)."""
    for item in accept.split(","):
        media, *parameters = (piece.strip() for piece in item.split(";"))
        if media.lower() != "multipart/mixed":
            continue
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "subscriptionspec" and value.strip("\"' ").startswith("1."):
                return True
    return False


def part(text: str) -> bytes:
    """One part holding the JSON ``text``."""
    return _PART_HEAD + text.encode() + b"\r\n"


def transport_error(code: str, message: str) -> bytes:
    """The part that ends a stream for a reason outside GraphQL execution."""
    error = {"message": message, "extensions": {"code": code}}
    return part(orjson.dumps({"payload": None, "errors": [error]}).decode())


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
                    return
                yield part('{"payload":' + encoded + "}")
                pending = asyncio.ensure_future(anext(iterator))
            elif watcher is not None and watcher in done:
                yield transport_error(*watcher.result())
                return
            else:
                yield part("{}")
        yield _END
    finally:
        for future in (pending, watcher):
            if future is not None:
                future.cancel()
                with contextlib.suppress(BaseException):
                    await future
        subscriber.close()


def boundary_of(content_type: str) -> str | None:
    """The boundary a ``multipart/mixed`` content type names; None for any other type."""
    media, *parameters = (piece.strip() for piece in content_type.split(";"))
    if media.lower() != "multipart/mixed":
        return None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"')
    return "-"  # the incremental-delivery default


async def parts(chunks: AsyncIterator[bytes], boundary: str) -> AsyncIterator[dict[str, Any]]:
    """The JSON parts of a multipart body, in order, heartbeats (``{}``) included; ends at
    the closing delimiter or with the body. A part that is not a JSON object raises
    ValueError."""
    delimiter = f"--{boundary}".encode()
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while True:
            start = buffer.find(delimiter)
            if start < 0:
                break
            after = start + len(delimiter)
            if buffer[after : after + 2] == b"--":
                return
            end = buffer.find(b"\r\n" + delimiter, after)
            if end < 0:
                break
            yield _json_part(buffer[after:end])
            buffer = buffer[end + 2 :]


def _json_part(raw: bytes) -> dict[str, Any]:
    _, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("A multipart part without headers")
    value = orjson.loads(body.strip() or b"{}")
    if not isinstance(value, dict):
        raise ValueError("A multipart part that is not a JSON object")
    return value
