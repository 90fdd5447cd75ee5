"""What one app (``opsgraph serve``, ``opsgraph subgraph``) adds for metrics: the ``/metrics``
route or listener, statement counting on its engine, and the sampler in multi-process mode."""

from __future__ import annotations

import os

from prometheus_client import multiprocess
from starlette.routing import Route

from opsgraph.metrics.exposition import MetricsListener, multiprocess_mode, public_routes
from opsgraph.metrics.gauges import ProcessGauges
from opsgraph.metrics.statements import count_statements
from opsgraph.runtime import Runtime
from opsgraph.settings import Settings

# How often each process refreshes its gauges in multi-process mode.
SAMPLE_SECONDS = 5.0


class AppMetrics:
    def __init__(
        self, settings: Settings, gauges: ProcessGauges, runtime: Runtime | None = None
    ) -> None:
        """``gauges`` name this app's sources; the runtime's engines, when the app has a
        database (not the split router), are added to them."""
        self.runtime = runtime
        self.gauges = gauges
        if runtime is not None:
            gauges.engine = lambda: runtime.engine
            gauges.owner_sessions = lambda: runtime.owner_sessions
        self.routes: list[Route] = public_routes(settings, gauges.sample)
        self.listener = (
            MetricsListener(settings, gauges.sample) if settings.metrics_port is not None else None
        )

    async def start(self) -> None:
        """Once the runtime is open (its engine exists)."""
        if self.runtime is not None:
            assert self.runtime.engine is not None, "runtime not opened"
            count_statements(self.runtime.engine)
        if self.listener is not None:
            await self.listener.start()
        if multiprocess_mode():
            self.gauges.sample_every(SAMPLE_SECONDS)

    async def stop(self) -> None:
        await self.gauges.stop()
        if self.listener is not None:
            await self.listener.stop()
        if multiprocess_mode():
            # Its live gauges leave the sums; its counters stay in the totals.
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
