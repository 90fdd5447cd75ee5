"""The trace context an event carries, from the mutation that wrote it to whatever handles
it later (the relay's publish, a subscription's delivery), so one trace shows all three.

The W3C `traceparent` (and `tracestate`) of the span current when the event is written is
kept in the event's payload under TRACE_KEY (nothing when nothing traces, so an untraced
process writes exactly what it wrote before); readers split it off again (`split_trace`),
so no subscriber ever sees it. Spans go through the OpenTelemetry API: no-ops until the
application installs an SDK."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import ProxyTracerProvider, Span, SpanKind
from opentelemetry.util.types import AttributeValue

TRACE_KEY = "_trace"
TRACER = trace.get_tracer("opsgraph.events")
_NO_SPAN: AbstractContextManager[None] = contextlib.nullcontext()


def current_trace() -> dict[str, str]:
    """The current span's context as W3C headers; empty when nothing is being traced."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(carrier)
    return carrier


def split_trace(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str] | None]:
    """An event's payload without its trace context, and that context (None if none)."""
    if TRACE_KEY not in payload:
        return payload, None
    rest = {key: value for key, value in payload.items() if key != TRACE_KEY}
    carried = payload[TRACE_KEY]
    return rest, carried if isinstance(carried, dict) else None


def continued_span(
    name: str,
    carried: Mapping[str, str] | None,
    kind: SpanKind,
    attributes: Mapping[str, AttributeValue],
) -> AbstractContextManager[Span | None]:
    """A span in the trace an event carries (its parent: the span that wrote the event),
    made current; a no-op when nothing traces or the event carries no trace. Inside it the
    event's context replaces the caller's entirely: a background loop that makes no spans
    for its own statements (opsgraph/telemetry/tracing.py) still traces an event's."""
    if not carried or isinstance(trace.get_tracer_provider(), ProxyTracerProvider):
        return _NO_SPAN
    return _continued(name, carried, kind, attributes)


@contextlib.contextmanager
def _continued(
    name: str,
    carried: Mapping[str, str],
    kind: SpanKind,
    attributes: Mapping[str, AttributeValue],
) -> Iterator[Span]:
    token = context.attach(propagate.extract(carried))
    try:
        with TRACER.start_as_current_span(name, kind=kind, attributes=attributes) as span:
            yield span
    finally:
        context.detach(token)
