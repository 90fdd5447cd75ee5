"""The router's traces, through the OpenTelemetry API only.

The application decides whether an SDK records them (opsgraph/telemetry/tracing.py); until
one is installed, :func:`span` hands out a shared no-op context manager, so an untraced
request creates no span objects at all. Spans carry names and kinds, never variables or
values of a response.

The operation a request runs is also kept in a per-request holder (:data:`OPERATION`) that
the application puts in place before the request reaches the gateway and reads back for
its logs: a holder rather than a bare context variable, so that what the gateway learns is
seen by the middleware that wraps it."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar

from graphql import OperationDefinitionNode
from opentelemetry import propagate, trace
from opentelemetry.trace import ProxyTracerProvider, Span, SpanKind
from opentelemetry.util.types import AttributeValue

TRACER = trace.get_tracer("opsgraph.router")
_NO_SPAN: AbstractContextManager[None] = contextlib.nullcontext()


class OperationLabel:
    """What the gateway learned about a request's operation: its name."""

    __slots__ = ("name",)

    def __init__(self) -> None:
        self.name: str | None = None


OPERATION: ContextVar[OperationLabel | None] = ContextVar("opsgraph_operation", default=None)


def tracing() -> bool:
    """Whether an SDK was installed as the process's tracer provider."""
    return not isinstance(trace.get_tracer_provider(), ProxyTracerProvider)


def span(
    name: str,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> AbstractContextManager[Span | None]:
    """A child span of the current one, made current; a no-op while nothing traces."""
    if not tracing():
        return _NO_SPAN
    return TRACER.start_as_current_span(name, kind=kind, attributes=attributes)


def name_operation(operation: OperationDefinitionNode) -> None:
    """Record the request's operation (GraphQL semantic conventions on the request span:
    the span is renamed ``query IncidentsPage``, with ``graphql.operation.*``)."""
    kind = operation.operation.value
    name = operation.name.value if operation.name else None
    label = OPERATION.get()
    if label is not None:
        label.name = name
    current = trace.get_current_span()
    if current.is_recording():
        current.update_name(f"{kind} {name}" if name else kind)
        current.set_attribute("graphql.operation.type", kind)
        if name:
            current.set_attribute("graphql.operation.name", name)


def trace_headers() -> dict[str, str]:
    """The W3C ``traceparent`` (and ``tracestate``) of the current span, for a request to a
    subgraph; empty while nothing traces."""
    carrier: dict[str, str] = {}
    if tracing():
        propagate.inject(carrier)
    return carrier
