"""Gauges read when ``/metrics`` is scraped: the database pool, WebSocket connections and
subscriptions, the outbox's backlog and the relay's lag.

Nothing is counted on the request path for them: ``ProcessGauges.sample()`` reads each
source just before the exposition is written. In multi-process mode every process also
samples on a timer (``sample_every``), so a scrape answered by one worker still sums the
others' recent values (``livesum``: the values of processes alive). The outbox figures are
the database's, the same in every process (``livemax``), and so are the lags of the event
consumers this process runs (opsgraph/events/consumer_status.py) and of the job kinds it runs
on the durable job queue (opsgraph/jobs/status.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.scope import waiting_for_connections
from opsgraph.events.consumer_status import Positioned, consumer_statuses
from opsgraph.jobs.status import queue_statuses
from resolvers.jobs import JobKind

log = logging.getLogger(__name__)

DB_POOL_SIZE = Gauge(
    "opsgraph_db_pool_size",
    "Connections the database pool may hold (its size plus its overflow)",
    multiprocess_mode="livesum",
)
DB_POOL_OPEN = Gauge(
    "opsgraph_db_pool_open", "Connections the pool holds open now", multiprocess_mode="livesum"
)
DB_POOL_IN_USE = Gauge(
    "opsgraph_db_pool_in_use", "Connections checked out of the pool", multiprocess_mode="livesum"
)
DB_POOL_WAITING = Gauge(
    "opsgraph_db_pool_waiting",
    "Requests waiting for a connection of the pool",
    multiprocess_mode="livesum",
)
WEBSOCKETS = Gauge(
    "opsgraph_websocket_connections",
    "Open GraphQL WebSocket connections",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "opsgraph_subscriptions_active",
    "Active subscriptions (WebSocket and streamed HTTP)",
    multiprocess_mode="livesum",
)
SUBSCRIPTION_EXECUTIONS = Gauge(
    "opsgraph_subscription_executions",
    "Running subscription executions (identical subscriptions share one)",
    multiprocess_mode="livesum",
)
OUTBOX_BACKLOG = Gauge(
    "opsgraph_outbox_backlog",
    "Outbox events not yet published by the relay",
    multiprocess_mode="livemax",
)
RELAY_LAG = Gauge(
    "opsgraph_outbox_relay_lag_seconds",
    "Age of the oldest unpublished outbox event (0 when none waits)",
    multiprocess_mode="livemax",
)

CONSUMER_LAG_EVENTS = Gauge(
    "opsgraph_event_consumer_lag_events",
    "Events a consumer has still to handle (stamped after its position)",
    ["consumer"],
    multiprocess_mode="livemax",
)
CONSUMER_LAG_SECONDS = Gauge(
    "opsgraph_event_consumer_lag_seconds",
    "How long the oldest event a consumer has still to handle has waited (0 when none)",
    ["consumer"],
    multiprocess_mode="livemax",
)
CONSUMER_FAILURES = Gauge(
    "opsgraph_event_consumer_consecutive_failures",
    "Failures of a consumer's handler on its current event (0 once it succeeds)",
    ["consumer"],
    multiprocess_mode="livemax",
)

JOB_QUEUE_DEPTH = Gauge(
    "opsgraph_job_queue_depth",
    "Jobs of a kind still to run on the durable job queue (due, scheduled or running)",
    ["kind", "state"],
    multiprocess_mode="livemax",
)
JOB_QUEUE_FAILED = Gauge(
    "opsgraph_job_queue_failed",
    "Jobs of a kind given up after their last attempt (left FAILED in the queue)",
    ["kind"],
    multiprocess_mode="livemax",
)

# One index scan (ix_outbox_unpublished covers exactly the unpublished rows).
OUTBOX_QUERY = text(
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
    "FROM events.outbox WHERE published_at IS NULL"
)


class SubscriptionCounts(Protocol):
    """What ``router.subscriptions.Subscriptions`` tells about itself."""

    @property
    def subscriber_count(self) -> int: ...

    @property
    def execution_count(self) -> int: ...


@dataclass
class ProcessGauges:
    """The sources this process samples. ``engine``/``owner_sessions`` are callables: the
    runtime opens its engines only when the app starts."""

    engine: Callable[[], AsyncEngine | None] = lambda: None
    owner_sessions: Callable[[], async_sessionmaker[AsyncSession] | None] = lambda: None
    websocket_connections: Sequence[Callable[[], int]] = ()
    subscriptions: Sequence[SubscriptionCounts] = ()
    consumers: Sequence[Positioned] = ()
    """The event consumers this process runs, and the message bus export when it is on."""
    job_kinds: Sequence[JobKind] = ()
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    async def sample(self) -> None:
        engine = self.engine()
        if engine is not None:
            pool = engine.sync_engine.pool
            size = pool.size()  # type: ignore[attr-defined]
            in_use = pool.checkedout()  # type: ignore[attr-defined]
            DB_POOL_SIZE.set(size + max(getattr(pool, "_max_overflow", 0), 0))
            DB_POOL_OPEN.set(in_use + pool.checkedin())  # type: ignore[attr-defined]
            DB_POOL_IN_USE.set(in_use)
            DB_POOL_WAITING.set(waiting_for_connections(engine))
        if self.websocket_connections:
            WEBSOCKETS.set(sum(count() for count in self.websocket_connections))
        if self.subscriptions:
            SUBSCRIPTIONS.set(sum(s.subscriber_count for s in self.subscriptions))
            SUBSCRIPTION_EXECUTIONS.set(sum(s.execution_count for s in self.subscriptions))
        sessions = self.owner_sessions()
        if sessions is not None:
            async with sessions() as session:
                row = (await session.execute(OUTBOX_QUERY)).one()
            OUTBOX_BACKLOG.set(int(row[0]))
            RELAY_LAG.set(float(row[1]))
            for status in await consumer_statuses(sessions, self.consumers):
                CONSUMER_LAG_EVENTS.labels(status.name).set(status.lag_events)
                CONSUMER_LAG_SECONDS.labels(status.name).set(status.lag_seconds)
                CONSUMER_FAILURES.labels(status.name).set(status.consecutive_failures)
            if self.job_kinds:
                async with sessions() as session:
                    queues = await queue_statuses(session, [kind.name for kind in self.job_kinds])
                for queue in queues:
                    JOB_QUEUE_DEPTH.labels(queue.kind, "queued").set(queue.queued)
                    JOB_QUEUE_DEPTH.labels(queue.kind, "scheduled").set(queue.scheduled)
                    JOB_QUEUE_DEPTH.labels(queue.kind, "running").set(queue.running)
                    JOB_QUEUE_FAILED.labels(queue.kind).set(queue.failed)

    def sample_every(self, seconds: float) -> None:
        """Sample on a timer until :meth:`stop` (multi-process mode)."""
        self._task = asyncio.create_task(self._sampling(seconds), name="metrics-sampler")

    async def _sampling(self, seconds: float) -> None:
        while True:
            try:
                await self.sample()
            except Exception as error:  # the database away: the next round tries again
                log.warning("metrics: sampling failed: %s", error)
            await asyncio.sleep(seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
