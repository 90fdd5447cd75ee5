"""The outbox relay: stamps committed events with their delivery `seq`, publishes them in
that order and marks them published; it also forgets published events past the retention
window (subscribers resuming from further back are told to resync).

It wakes on PostgreSQL NOTIFY (sent by a trigger when events commit) and also polls, so a
lost notification or a dropped LISTEN connection only delays delivery. The LISTEN connection
is watched (asyncpg's termination listener, and a keep-alive query when the poll timer wakes
the relay): once lost, as when PostgreSQL restarts, the relay reconnects with a back-off
capped at `max_backoff`, polling at that pace until LISTEN is back. When publishing fails
(Redis or PostgreSQL down) the batch stays unpublished and is retried with the same capped
back-off: nothing is lost, and delivery resumes within about `max_backoff` of recovery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg
import orjson
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from db.event_trace import continued_span, split_trace
from db.failures import is_connection_failure
from db.outbox import (
    NOTIFY_CHANNEL,
    SEQUENCE_LOCK_SQL,
    STAMP_SQL,
    claim_for_publishing,
    prune_published,
)
from opsgraph.events.bus import EVENTS_CHANNEL, EventBus
from opsgraph.telemetry.tracing import without_statement_spans

log = logging.getLogger(__name__)
BATCH = 200
FIRST_BACKOFF = 0.1  # seconds before the first retry; doubled per failure up to max_backoff
KEEPALIVE_TIMEOUT = 5.0  # seconds the LISTEN connection has to answer a keep-alive
WakeSource = Literal["notify", "poll", "lost", "stop"]


def encode_event(event: Any) -> bytes:
    """An outbox event (a row of its columns) as the bus carries it."""
    return orjson.dumps(
        {
            "id": event.id,
            "seq": event.seq,
            "tenantId": str(event.tenant_id),
            "domain": event.domain,
            "kind": event.kind,
            "entityType": event.entity_type,
            "entityId": str(event.entity_id),
            "payload": event.payload,
            "createdAt": event.created_at.isoformat(),
        }
    )


def _publish_span(event: Any) -> AbstractContextManager[Span | None]:
    """The publish of `event`, in the trace of the mutation that wrote it."""
    _, carried = split_trace(event.payload)
    attributes: dict[str, AttributeValue] = {
        "opsgraph.event.seq": event.seq or 0,
        "opsgraph.event.kind": event.kind,
    }
    return continued_span(f"publish {event.kind}", carried, SpanKind.PRODUCER, attributes)


async def _abandon(connection: AsyncConnection, driver: Any, error: BaseException) -> None:
    """After a failed round: the transaction open (a batch claimed, not published) is rolled
    back, which unlocks its events at once for the next round; a bus that failed leaves the
    connection sound. A connection the database lost, or one the rollback fails on, is
    invalidated, so the pool never hands it out again (its server, if any, rolls back)."""
    if not driver.is_closed() and driver.is_in_transaction():
        try:
            await driver.execute("ROLLBACK", timeout=KEEPALIVE_TIMEOUT)
        except Exception as failure:
            await connection.invalidate(failure)
        return
    if is_connection_failure(error) or driver.is_closed():
        await connection.invalidate(error)


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        database_url: str,
        *,
        poll_interval: float = 1.0,
        max_backoff: float = 1.0,
        retention: timedelta = timedelta(hours=24),
        prune_interval: float = 300.0,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.database_url = database_url
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.retention = retention
        self.prune_interval = prune_interval
        self._pruned_at = 0.0
        self._wake = asyncio.Event()
        self._woken_by: WakeSource | None = None
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._stopping = False
        self.ready = asyncio.Event()  # set once the first LISTEN was tried
        # For operators and tests: LISTEN connections opened (1 + reconnections), and what
        # woke the relay each time (a NOTIFY, the poll timer, the lost connection, stop()).
        self.listens = 0
        self.wakeups: Counter[WakeSource] = Counter()

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is open (else the relay only polls)."""
        return self._listener is not None and not self._listener.is_closed()

    async def publish_pending(self) -> int:
        """Publish every unpublished event now; returns how many were published.

        A round is two transactions, sent on the driver's connection in five round trips
        (seven through SQLAlchemy's sessions, a share of every write's cost): BEGIN with the
        sequence lock; the stamping; its COMMIT (the stamps visible to every reader before
        any event is published) with the claim's BEGIN; the claim; its COMMIT once the batch
        is published, with the next round's BEGIN and lock when there is more."""
        published = 0
        async with self.sessions.kw["bind"].connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            try:
                await driver.execute(f"BEGIN; {SEQUENCE_LOCK_SQL}")
                while True:
                    stamped = int((await driver.execute(STAMP_SQL, BATCH)).split()[-1])
                    await driver.execute("COMMIT; BEGIN")
                    batch = await claim_for_publishing(connection, BATCH)
                    for event in batch:
                        with _publish_span(event):
                            await self.bus.publish(EVENTS_CHANNEL, encode_event(event))
                    published += len(batch)
                    if len(batch) < BATCH and stamped < BATCH:
                        await driver.execute("COMMIT")
                        return published
                    await driver.execute(f"COMMIT; BEGIN; {SEQUENCE_LOCK_SQL}")
            except BaseException as error:
                await _abandon(connection, driver, error)
                raise

    async def prune(self) -> int:
        """Delete published events older than the retention window; returns how many."""
        async with self.sessions() as session, session.begin():
            return await prune_published(session, datetime.now(UTC) - self.retention)

    async def _listen(self, quiet: bool) -> None:
        """Open the LISTEN connection (replacing a lost one); logs unless `quiet`."""
        await self._drop_listener()
        url = make_url(self.database_url).set(drivername="postgresql")
        connection: asyncpg.Connection | None = None
        try:
            connection = await asyncpg.connect(
                url.render_as_string(hide_password=False), timeout=KEEPALIVE_TIMEOUT
            )
            connection.add_termination_listener(self._lost)
            await connection.add_listener(NOTIFY_CHANNEL, self._notified)
        # InternalClientError: the server went away mid-handshake of the LISTEN (asyncpg's
        # protocol state machine refuses the next step) — as lost as the others.
        except (
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
        ) as error:
            if connection is not None:
                connection.terminate()
            if not quiet:
                log.warning("outbox relay cannot LISTEN (%s); polling until it can", error)
            return
        self._listener = connection
        self.listens += 1
        if self.listens > 1:
            log.warning("outbox relay LISTEN re-established")

    async def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            listener.remove_termination_listener(self._lost)
            with contextlib.suppress(Exception):
                async with asyncio.timeout(KEEPALIVE_TIMEOUT):
                    await listener.close()
            if not listener.is_closed():
                listener.terminate()

    async def _keepalive(self) -> None:
        """A connection the network dropped silently is noticed here, not by the driver."""
        assert self._listener is not None
        try:
            async with asyncio.timeout(KEEPALIVE_TIMEOUT):
                await self._listener.fetchval("SELECT 1")
        # InternalClientError: as in `_listen`, the server went away under the connection
        # and asyncpg's protocol state machine refuses the query.
        except (
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
        ):
            log.warning("outbox relay lost its LISTEN connection (keep-alive failed)")
            self._listener.terminate()

    def _notified(self, *_: Any) -> None:
        self._wake_up("notify")

    def _lost(self, connection: Any) -> None:
        if connection is self._listener and not self._stopping:
            log.warning("outbox relay lost its LISTEN connection; polling until it is back")
            self._wake_up("lost")

    def _wake_up(self, source: WakeSource) -> None:
        self._woken_by = self._woken_by or source
        self._wake.set()

    async def _sleep(self, seconds: float) -> WakeSource:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        source: WakeSource = self._woken_by or "poll"
        self.wakeups[source] += 1
        return source

    async def _run(self) -> None:
        await self._listen(quiet=False)
        self.ready.set()
        failures = 0  # consecutive rounds that could not publish or could not LISTEN
        woken_by: WakeSource = "notify"
        while not self._stopping:
            # Cleared before publishing: a NOTIFY that arrives meanwhile is not lost.
            self._wake.clear()
            self._woken_by = None
            if not self.listening:
                await self._listen(quiet=failures > 0)
            elif woken_by == "poll":
                await self._keepalive()
            try:
                await self.publish_pending()
                if time.monotonic() - self._pruned_at >= self.prune_interval:
                    await self.prune()
                    self._pruned_at = time.monotonic()
                published = True
            except Exception as error:
                published = False
                if is_connection_failure(error):
                    if failures == 0:
                        log.warning("outbox relay cannot reach the database (%s); retrying", error)
                else:
                    log.exception("outbox relay failed; retrying")
            failures = 0 if published and self.listening else failures + 1
            woken_by = await self._sleep(self._pause(failures))

    def _pause(self, failures: int) -> float:
        """The poll interval; after failures, a back-off that never exceeds `max_backoff`."""
        if failures == 0:
            return self.poll_interval
        backoff = min(self.max_backoff, FIRST_BACKOFF * 2 ** min(failures - 1, 16))
        return min(backoff, self.poll_interval)

    def start(self) -> None:
        self._task = asyncio.create_task(without_statement_spans(self._run()), name="outbox-relay")

    async def stop(self) -> None:
        """Let the batch in flight finish (so it is marked published), then stop."""
        self._stopping = True
        self._wake_up("stop")
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except TimeoutError:
                log.warning("outbox relay did not stop in time; cancelled")
        await self._drop_listener()
