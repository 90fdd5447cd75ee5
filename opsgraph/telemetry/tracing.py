"""The OpenTelemetry SDK, installed when the standard variables ask for an exporter.

`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns tracing on:
spans go over OTLP/HTTP in batches, every other `OTEL_*` variable (headers, sampler,
`OTEL_SERVICE_NAME`, resource attributes) read by the SDK itself. Without one, nothing is
installed: the router's spans stay no-ops and no statement is wrapped
(router/telemetry.py). Every SQL statement, through SQLAlchemy or on the driver's own
connection (db/reads.py), is a span by the asyncpg instrumentation, without its
parameters."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Mapping
from typing import TypeVar

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

T = TypeVar("T")
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment names an OTLP endpoint (and does not disable the SDK)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def install_tracing(service_name: str, processor: SpanProcessor) -> TracerProvider:
    """Make an SDK provider exporting through `processor` the process's tracer provider
    and trace every SQL statement. `service_name` applies unless OTEL_SERVICE_NAME says
    otherwise. Once per process (the API keeps the first provider)."""
    resource = Resource.create({"service.name": service_name}).merge(
        OTELResourceDetector().detect()
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    return provider


def start_tracing(service_name: str) -> TracerProvider | None:
    """Tracing over OTLP/HTTP when the environment asks for it; None otherwise. The
    provider flushes its last batch when the process exits."""
    if not tracing_requested():
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return install_tracing(service_name, BatchSpanProcessor(OTLPSpanExporter()))


async def without_statement_spans(work: Awaitable[T]) -> T:
    """Run `work` (a background loop) making no span per SQL statement: the outbox relay's
    and the event hub's polls, every second or two, would each be a trace of their own.
    Their own spans (an event's publish) are still made."""
    with suppress_instrumentation():
        return await work
