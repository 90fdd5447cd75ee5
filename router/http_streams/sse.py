"""Subscriptions over server-sent events, as GraphQL over SSE's "distinct connections" mode
has them (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md): a request with
``Accept: text/event-stream`` gets a ``text/event-stream`` response, one ``next`` event per
response and ``complete`` at the end; comments keep a quiet stream alive. Hive Gateway asks
its HTTP subgraphs for subscriptions this way unless told otherwise."""

from __future__ import annotations

import orjson

CONTENT_TYPE = "text/event-stream"
HEARTBEAT = b": ping\n\n"
END = b"event: complete\ndata:\n\n"


def accepts_sse(accept: str) -> bool:
    """Whether an ``Accept`` header asks for an event stream."""
    return any(item.split(";", 1)[0].strip().lower() == CONTENT_TYPE for item in accept.split(","))


def next_event(encoded: str) -> bytes:
    """The event carrying one response (its JSON text, on one line as orjson writes it)."""
    return b"event: next\ndata: " + encoded.encode() + b"\n\n"


def transport_error(code: str, message: str) -> bytes:
    """The response that reports why the stream stops early (``complete`` follows)."""
    error = {"message": message, "extensions": {"code": code}}
    return next_event(orjson.dumps({"errors": [error]}).decode())
