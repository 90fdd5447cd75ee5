"""``GET /metrics``: the Prometheus text format, who may read it, and the separate listener.

Who may read it (README, "Operations → Metrics"):
- ``OPSGRAPH_METRICS_TOKEN`` set: every ``/metrics`` asks ``Authorization: Bearer <token>``
  (compared in constant time); without it, or with another, HTTP 401.
- ``OPSGRAPH_METRICS_PORT`` set: ``/metrics`` is served on that port, a listener of its
  own in the same process (a port the ingress does not route); on the API's port only
  with the token.
- Neither: open on the API's port in development and test; in production the API's port
  does not serve it (HTTP 404) and the start-up log says why.

In multi-process mode (``PROMETHEUS_MULTIPROC_DIR`` set when the processes start) the
exposition adds up the files of every process (prometheus-client's MultiProcessCollector).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable

import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from opsgraph.settings import Settings

log = logging.getLogger(__name__)

Sample = Callable[[], Awaitable[None]]


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """Every metric of this process, or of every process in multi-process mode."""
    if not multiprocess_mode():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def metrics_endpoint(sample: Sample, token: str | None) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint: the token checked (when there is one), the gauges sampled, the text."""
    expected = f"Bearer {token}".encode() if token else None

    async def endpoint(request: Request) -> Response:
        if expected is not None:
            sent = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(sent, expected):
                return PlainTextResponse(
                    "A valid metrics token is required\n",
                    status_code=401,
                    headers={"www-authenticate": 'Bearer realm="opsgraph-metrics"'},
                )
        try:
            await sample()
        except Exception as error:  # the database away: the counters still answer
            log.warning("metrics: sampling failed: %s", error)
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return endpoint


def public_routes(settings: Settings, sample: Sample) -> list[Route]:
    """``/metrics`` on the API's port, when the rules above serve it there."""
    token = settings.metrics_token
    if token is None and (settings.metrics_port is not None or settings.env == "production"):
        if settings.metrics_port is None:
            log.warning(
                "metrics: /metrics is not served in production without OPSGRAPH_METRICS_TOKEN "
                "or OPSGRAPH_METRICS_PORT"
            )
        return []
    return [Route("/metrics", metrics_endpoint(sample, token), methods=["GET"])]


class MetricsListener:
    """``/metrics`` alone on ``OPSGRAPH_METRICS_PORT``: a second uvicorn server in the same
    event loop, started and stopped with the app (no signal handling of its own)."""

    def __init__(self, settings: Settings, sample: Sample) -> None:
        assert settings.metrics_port is not None
        app = Starlette(
            routes=[Route("/metrics", metrics_endpoint(sample, settings.metrics_token))]
        )
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.metrics_port,
            lifespan="off",
            log_level=settings.log_level,
            access_log=False,
        )
        self.server = uvicorn.Server(config)

    async def start(self) -> None:
        """Listen; OSError when the port cannot be had (the app then fails to start)."""
        server, config = self.server, self.server.config
        config.load()
        server.lifespan = config.lifespan_class(config)  # "off": nothing to run
        try:
            await server.startup()
        except SystemExit:  # uvicorn's answer to a port it cannot bind (it logged why)
            raise OSError(f"metrics: cannot listen on port {config.port}") from None

    async def stop(self) -> None:
        await self.server.shutdown()
