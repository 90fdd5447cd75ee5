"""Every HTTP request, outermost: its id, its server span and its access log line.

The request id is the client's `X-Request-Id` when it sends a usable one (printable, at
most 128 characters), a new one otherwise; the request continues with it in its headers
(the context and the subgraph fetches read it there) and the response carries it back.
When tracing is on, the request's server span continues the client's W3C `traceparent`
and is current for everything below (the gateway names it for the operation, the caller's
tenant is added once known). The access log line (`opsgraph.access`, event `request`)
states method, path, status and duration; uvicorn's own access log is off."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, StatusCode
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsgraph.telemetry.fields import REQUEST, RequestFields
from router.telemetry import OPERATION, TRACER, OperationLabel, tracing

access_log = logging.getLogger("opsgraph.access")
REQUEST_ID_HEADER = b"x-request-id"
_USABLE_ID = re.compile(r"[\x21-\x7e]{1,128}")


def request_id_from(headers: Headers) -> str:
    """The client's request id when usable, else a new one."""
    given = headers.get("x-request-id")
    if given is not None and _USABLE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestTelemetryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = request_id_from(headers)
        scope["headers"] = [
            *(item for item in scope["headers"] if item[0] != REQUEST_ID_HEADER),
            (REQUEST_ID_HEADER, request_id.encode()),
        ]
        request_token = REQUEST.set(RequestFields(request_id))
        operation_token = OPERATION.set(OperationLabel())
        status = 500  # what the client sees if the app fails before answering
        started = time.perf_counter()

        async def answering(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        with _server_span(scope, headers) as span:
            try:
                await self.app(scope, receive, answering)
            finally:
                if span is not None:
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(StatusCode.ERROR)
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    },
                )
                OPERATION.reset(operation_token)
                REQUEST.reset(request_token)


@contextmanager
def _server_span(scope: Scope, headers: Headers) -> Iterator[Span | None]:
    """The request's server span, continuing the client's trace; None while untraced."""
    if not tracing():
        yield None
        return
    method, path = scope["method"], scope["path"]
    with TRACER.start_as_current_span(
        f"{method} {path}",
        context=propagate.extract(headers),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": method, "url.path": path},
    ) as span:
        yield span
