"""Subscriptions over HTTP multipart responses, the protocol Apollo Router and Hive Gateway
speak (https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol).

A client asks with ``Accept: multipart/mixed;subscriptionSpec="1.0", application/json``;
the server answers ``multipart/mixed;boundary="graphql";subscriptionSpec="1.0"`` and sends
one JSON part per message:

- ``{}``: a heartbeat, at once (so the client sees the stream open) and every few seconds of
  silence (so that no proxy between takes the stream for dead);
- ``{"payload": <response>}``: one response of the subscription (``data``, maybe ``errors``);
- ``{"payload": null, "errors": [...]}``: a transport error, after which the stream ends;

then the closing delimiter. Each part is written with the delimiter after it (the stream
opens with one: :data:`OPENING`), so that a reader splitting at delimiters has every part
whole as soon as it is sent, not one message later. The parts are written here (:func:`part`,
:data:`END`) and read back by :func:`parts`, which also takes a part whose delimiter is yet
to come once its JSON is complete (servers that write the delimiter before each part);
router/http_streams/responses.py streams a subscriber's responses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

BOUNDARY = "graphql"
ACCEPT = 'multipart/mixed;subscriptionSpec="1.0", application/json'
CONTENT_TYPE = f'multipart/mixed;boundary="{BOUNDARY}";subscriptionSpec="1.0"'
HEARTBEAT_SECONDS = 5.0
_DELIMITER = f"--{BOUNDARY}".encode()
_PART_HEAD = b"\r\ncontent-type: application/json\r\n\r\n"
END = b"--\r\n"  # after the last part's delimiter, which makes it the closing one


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
    """One part holding the JSON ``text``, and the delimiter after it."""
    return _PART_HEAD + text.encode() + b"\r\n" + _DELIMITER


OPENING = _DELIMITER + part("{}")  # the first delimiter and a heartbeat


def transport_error(code: str, message: str) -> bytes:
    """The part that ends a stream for a reason outside GraphQL execution."""
    error = {"message": message, "extensions": {"code": code}}
    return part(orjson.dumps({"payload": None, "errors": [error]}).decode())


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
            after = start + len(delimiter)
            if start < 0 or len(buffer) < after + 2:
                break
            if buffer[after : after + 2] == b"--":
                return
            following = buffer.find(b"\r\n" + delimiter, after)
            head_end = buffer.find(b"\r\n\r\n", after)
            if following >= 0 and not 0 <= head_end < following:
                buffer = buffer[following + 2 :]  # an empty part (Strawberry sends one)
                continue
            if head_end < 0:
                break
            end = following if following >= 0 else len(buffer)
            body = buffer[head_end + 4 : end].strip()
            if following < 0 and not _complete(body):
                break  # the rest of the part is still to come
            yield _json_object(body)
            buffer = buffer[end:]


def _complete(body: bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


def _json_object(body: bytes) -> dict[str, Any]:
    value = orjson.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("A multipart part that is not a JSON object")
    return value
