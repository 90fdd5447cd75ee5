"""Traces for tests, with the real OpenTelemetry SDK: spans of this process recorded in
memory (`recorded_spans`), spans of server processes received over OTLP/HTTP on a loopback
port (`OtlpReceiver`), and the tree they make (`Spans`)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from opsgraph.telemetry.tracing import install_tracing

_EXPORTER = InMemorySpanExporter()
_PROVIDER: list[TracerProvider] = []


@dataclass(frozen=True)
class SpanRecord:
    """One finished span, from this process or another (ids as hex)."""

    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    kind: str
    attributes: dict[str, Any]
    service: str


def _from_sdk(span: ReadableSpan) -> SpanRecord:
    context = span.get_span_context()
    assert context is not None
    return SpanRecord(
        span.name,
        format(context.trace_id, "032x"),
        format(context.span_id, "016x"),
        format(span.parent.span_id, "016x") if span.parent else None,
        span.kind.name,
        dict(span.attributes or {}),
        str(span.resource.attributes.get("service.name")),
    )


class Spans:
    """Finished spans and the tree their parent ids make."""

    def __init__(self, records: list[SpanRecord]) -> None:
        self.records = records

    def named(self, name: str) -> list[SpanRecord]:
        return [span for span in self.records if span.name == name]

    def one(self, name: str) -> SpanRecord:
        found = self.named(name)
        assert len(found) == 1, (name, [span.name for span in self.records])
        return found[0]

    def children(self, parent: SpanRecord) -> list[SpanRecord]:
        return [span for span in self.records if span.parent_id == parent.span_id]

    def child_names(self, parent: SpanRecord) -> list[str]:
        return sorted(span.name for span in self.children(parent))

    def ancestors(self, span: SpanRecord) -> list[SpanRecord]:
        by_id = {record.span_id: record for record in self.records}
        found: list[SpanRecord] = []
        while span.parent_id in by_id:
            span = by_id[span.parent_id]
            found.append(span)
        return found


@contextlib.contextmanager
def recorded_spans() -> Iterator[Callable[[], Spans]]:
    """This process traced into memory for the block (the SDK installed as it is in
    production, SQL statements included); the spans finished so far on each call. After
    the block the process is untraced again, as every other test expects: the API's global
    provider is reset the way OpenTelemetry's own test utilities reset it."""
    if not _PROVIDER:
        _PROVIDER.append(install_tracing("opsgraph-test", SimpleSpanProcessor(_EXPORTER)))
    else:
        trace.set_tracer_provider(_PROVIDER[0])
        AsyncPGInstrumentor().instrument(tracer_provider=_PROVIDER[0])
    _EXPORTER.clear()
    try:
        yield lambda: Spans([_from_sdk(span) for span in _EXPORTER.get_finished_spans()])
    finally:
        AsyncPGInstrumentor().uninstrument()
        trace._TRACER_PROVIDER = None
        trace._TRACER_PROVIDER_SET_ONCE = Once()
        _EXPORTER.clear()


class OtlpReceiver:
    """An OTLP/HTTP trace receiver on a loopback port: what server processes export to when
    their OTEL_EXPORTER_OTLP_ENDPOINT names `endpoint`."""

    def __init__(self) -> None:
        self.records: list[SpanRecord] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver._take(request)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _take(self, request: ExportTraceServiceRequest) -> None:
        records = []
        for resource_spans in request.resource_spans:
            service = next(
                (
                    attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {
                        a.key: getattr(a.value, a.value.WhichOneof("value") or "string_value")
                        for a in span.attributes
                    }
                    records.append(
                        SpanRecord(
                            span.name,
                            span.trace_id.hex(),
                            span.span_id.hex(),
                            span.parent_span_id.hex() or None,
                            _OTLP_KINDS.get(span.kind, "INTERNAL"),
                            attributes,
                            service,
                        )
                    )
        with self._lock:
            self.records.extend(records)

    def wait_for(self, found: Callable[[list[SpanRecord]], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if found(list(self.records)):
                    return
            time.sleep(0.1)
        raise AssertionError(f"spans not received in {timeout} s: {self.records}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# OTLP's span kinds (SPAN_KIND_INTERNAL = 1 ... SPAN_KIND_CONSUMER = 5) by the SDK's names.
_OTLP_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
