"""How every OpsGraph process serves (`serve`, `subgraph`, `router`): uvicorn with our
settings, HTTPS/WSS with TLS 1.3 only when a certificate is configured, and a graceful
shutdown in the order a load balancer or Kubernetes needs.

On SIGTERM (`kill`, `docker stop`, Kubernetes): `/ready` answers 503 at once while
everything else is still served, for `OPSGRAPH_SHUTDOWN_DRAIN_SECONDS` (long enough for the
endpoints to drop the pod); then the listener closes, every WebSocket is closed with 1012
(service restart: its client reconnects elsewhere and resumes with `after`), and requests in
flight have `OPSGRAPH_SHUTDOWN_GRACE_SECONDS` to finish before they are cancelled. SIGINT
(Ctrl-C) skips the drain. Either way the process then exits through Python's normal path, so
the embedded PostgreSQL is left (and stopped by its last user): uvicorn re-raises the signal
once it has shut down, and SIGTERM's default action would end the process on the spot.
`opsgraph` then ends with 143 after SIGTERM and, quietly (no KeyboardInterrupt traceback),
with 130 after SIGINT (opsgraph/cli.py)."""

from __future__ import annotations

import signal
import ssl
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

from opsgraph.gc_tuning import CollectionPacer, tune_garbage_collector
from opsgraph.settings import Settings
from opsgraph.telemetry.tracing import start_tracing
from opsgraph.websocket_server import FrameWritingWebSockets

READY_PATH = "/ready"
STARTUP_FAILURE = 3  # uvicorn's own status for a server that could not start


def exit_on_sigterm() -> None:
    """Make SIGTERM leave like Ctrl-C does: through `finally` blocks and `atexit`, with the
    conventional status 143 (128 + 15)."""

    def leave(signum: int, frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def subgraph_verify(settings: Settings) -> ssl.SSLContext | bool:
    """How the split router and a subgraph's peers check HTTPS subgraphs' certificates: with
    `OPSGRAPH_TLS_CA` when set (a private CA), else the public roots (certifi's)."""
    if settings.tls_ca is None:
        return True
    return ssl.create_default_context(cafile=str(settings.tls_ca))


def _tls13_only(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's context for the configured certificate, refusing anything older than 1.3."""
    context = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


class _ReadinessGate:
    """The app, except that `/ready` answers 503 once the process is draining."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.draining = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.draining and scope["type"] == "http" and scope["path"] == READY_PATH:
            body = b'{"status":"draining","reason":"shutting down"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


# Responses that stream for as long as the client listens (HTTP subscriptions).
STREAMED = (b"text/event-stream", b"multipart/mixed")


class _CountedRequests:
    """The app, telling the collector's pacer when each HTTP request starts and ends, so that
    collections wait for a moment none is in flight (opsgraph/gc_tuning.py). What lasts for
    hours is not counted: WebSocket connections, and an HTTP response from the moment it
    starts streaming (an SSE or multipart subscription); their messages meet collections as
    before."""

    def __init__(self, app: Any, collections: CollectionPacer) -> None:
        self.app = app
        self.collections = collections

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        collections = self.collections
        collections.started()
        counted = True

        async def sending(message: Any) -> None:
            nonlocal counted
            if counted and message["type"] == "http.response.start" and _streamed(message):
                counted = False
                collections.finished()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if counted:
                collections.finished()


def _streamed(start: Any) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(STREAMED)
        for name, value in start.get("headers", ())
    )


class _GracefulServer(uvicorn.Server):
    """uvicorn, whose first SIGTERM starts the drain instead of the shutdown, and whose
    main loop (ten ticks a second) paces the garbage collector (opsgraph/gc_tuning.py)."""

    def __init__(
        self,
        config: uvicorn.Config,
        gate: _ReadinessGate,
        drain_seconds: int,
        collections: CollectionPacer,
    ) -> None:
        super().__init__(config)
        self.gate = gate
        self.drain_seconds = drain_seconds
        self.collections = collections
        self._exit_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.gate.draining = True
        if sig == signal.SIGTERM and self._exit_at is None and self.drain_seconds > 0:
            self._captured_signals.append(sig)  # re-raised after the shutdown, as uvicorn does
            self._exit_at = time.monotonic() + self.drain_seconds
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        self.collections.tick()
        if self._exit_at is not None and time.monotonic() >= self._exit_at:
            self.should_exit = True
        return await super().on_tick(counter)


def run_server(app: Any, host: str, port: int, settings: Settings, service: str) -> None:
    """Serve `app` until a signal, the garbage collector tuned once the app is built (its heap
    frozen) and paced by the clock, between HTTP requests (opsgraph/gc_tuning.py).
    WebSocket messages are not compressed: wallboard events are small, and deflating each
    one for each of a thousand connections would dominate a delivery; their protocol takes
    subscriptions' frames encoded once (opsgraph/websocket_server.py).
    uvicorn logs through our handler (no config of its own) and writes no access log: the
    app writes its own (opsgraph/telemetry/requests.py). Traces of `service` are exported
    when OTEL_EXPORTER_OTLP_ENDPOINT is set (opsgraph/telemetry/tracing.py)."""
    start_tracing(service)
    collections = CollectionPacer(settings.gc_interval_seconds or None, time.monotonic)
    gate = _ReadinessGate(_CountedRequests(app, collections))
    tls: dict[str, Any] = {}
    if settings.tls_cert is not None and settings.tls_key is not None:
        tls = {
            "ssl_certfile": str(settings.tls_cert),
            "ssl_keyfile": str(settings.tls_key),
            "ssl_context_factory": _tls13_only,
        }
    config = uvicorn.Config(
        gate,
        host=host,
        port=port,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws_max_size=settings.max_body_bytes,
        ws=FrameWritingWebSockets,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        **tls,
    )
    tune_garbage_collector(settings.gc_threshold)
    server = _GracefulServer(config, gate, settings.shutdown_drain_seconds, collections)
    server.run()
    if not server.started:  # e.g. the port is taken: uvicorn logged why
        sys.exit(STARTUP_FAILURE)
