"""Running the event consumers a process serves (declared by domains, resolvers/consumers.py).

One `ConsumerRunner` per consumer. A round (`drain`) reads, as the owner, the stamped outbox
events of the consumer's domains (and kinds) after its position, in `seq` order and in
batches, and hands each to the consumer in a transaction of its own: the application role
with the event's tenant set (the tenant wall), the consumer's position row locked (FOR UPDATE
SKIP LOCKED: while another replica holds it, this one leaves the round and tries again later),
the position checked again (an event at or before it is skipped, so a replay changes nothing),
the handler called, the new position written, one commit. Events of other domains or kinds
are never read: once every event of the consumer's up to the latest `seq` is handled, the
position moves past the rest in one statement.

The runner stamps committed events itself before reading (as the relay does; stamping is
serialised across processes), so it needs no relay in its process. It wakes on every event
the process's hub delivers and polls every `poll_interval` seconds besides.

A handler that raises has its effects rolled back; the failure is logged with the event's
`seq`, counted in the position row, and the event retried after a back-off that doubles up to
`max_backoff`, never skipped. An unreachable database is retried likewise (at the poll pace
at most), logged once. `stop()` lets the event in flight finish.

Status and rebuilds: opsgraph/events/consumer_status.py."""

from __future__ import annotations

import asyncio
import enum
import logging
import traceback
from collections.abc import Sequence

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import consumer_positions as positions
from db.event_trace import continued_span
from db.failures import is_connection_failure
from db.outbox import sequence_bounds, stamp_committed
from db.scope import SET_TENANT
from opsgraph.events.hub import EventHub, event_from_row
from opsgraph.events.pacing import PacedLoop
from resolvers.consumers import EventConsumer
from resolvers.events import Event

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
BATCH = 200
STAMP_BATCH = 1000


class HandlerFailed(Exception):
    """The consumer's handler raised on the event `seq` (its effects are rolled back)."""

    def __init__(self, name: str, seq: int, error: BaseException) -> None:
        super().__init__(f"consumer {name} failed on event {seq}: {error!r}")
        self.seq = seq
        self.error = error


class Outcome(enum.Enum):
    """What `ConsumerRunner.deliver` did with an event."""

    HANDLED = enum.auto()
    SKIPPED = enum.auto()  # at or before the position: handled already, nothing changed
    BUSY = enum.auto()  # another replica holds the position: try again later
    STALE = enum.auto()  # a rebuild moved the position back since the events were read


class ConsumerRunner(PacedLoop):
    def __init__(
        self,
        consumer: EventConsumer,
        owner_sessions: Sessions,
        app_sessions: Sessions,
        *,
        poll_interval: float = 1.0,
        max_backoff: float = 30.0,
        batch: int = BATCH,
    ) -> None:
        self.consumer = consumer
        self.owner_sessions = owner_sessions
        self.app_sessions = app_sessions
        self.poll_interval = poll_interval
        super().__init__(max_backoff)
        self.batch = batch
        self._registered = False

    @property
    def name(self) -> str:
        return self.consumer.name

    async def register(self) -> None:
        """Create the consumer's position on this database unless it has one (see
        db/consumer_positions.register for where a new one starts)."""
        async with self.owner_sessions() as session, session.begin():
            # Every event committed so far stamped first: "after the latest" is after them
            # all, not only after those some relay happened to stamp already.
            while await stamp_committed(session, STAMP_BATCH) == STAMP_BATCH:
                pass
            await positions.register(
                session,
                self.name,
                self.consumer.domains,
                from_oldest=self.consumer.reset is not None,
            )
        self._registered = True

    async def drain(self) -> int:
        """Handle every event of the consumer's committed so far; returns how many this call
        handled. Returns early when another replica holds the position or `stop()` was
        called. Raises HandlerFailed (after recording it) when the handler raises."""
        if not self._registered:
            await self.register()
        handled = 0
        while not self._stopping:
            async with self.owner_sessions() as session, session.begin():
                stamped = await stamp_committed(session, STAMP_BATCH)
            async with self.owner_sessions() as session:
                read = await positions.read_position(session, self.name)
                if read is None:  # its row was deleted by hand meanwhile
                    await self.register()
                    continue
                latest = (await sequence_bounds(session))[1]
                rows = await positions.consumer_events(
                    session,
                    self.consumer.domains,
                    self.consumer.kinds,
                    after=read.seq,
                    through=latest,
                    limit=self.batch,
                )
            outcome = Outcome.SKIPPED
            for row in rows:
                if self._stopping:
                    return handled
                outcome = await self.deliver(event_from_row(row), read)
                if outcome is Outcome.BUSY:
                    return handled
                if outcome is Outcome.STALE:
                    break
                handled += outcome is Outcome.HANDLED
            if outcome is Outcome.STALE or len(rows) == self.batch:
                continue  # read again: from the rebuilt position, or its next events
            if latest > read.seq:
                async with self.owner_sessions() as session, session.begin():
                    await positions.pass_over(session, self.name, latest, read)
            if stamped < STAMP_BATCH:
                return handled
        return handled

    async def deliver(self, event: Event, read: positions.Position | None = None) -> Outcome:
        """Hand one event to the consumer unless its position says it is handled (a
        re-delivered event changes nothing). Raises HandlerFailed (after recording it) when
        the handler raises; the caller must deliver events in `seq` order. `read` is the
        position the event was read after: a rebuild since then makes it STALE."""
        attributes: dict[str, AttributeValue] = {
            "opsgraph.consumer": self.name,
            "opsgraph.event.seq": event.seq,
            "opsgraph.event.kind": event.kind,
        }
        try:
            # A span in the trace of the mutation that wrote the event, its statements below.
            with continued_span(
                f"consume {event.kind}", event.trace, SpanKind.CONSUMER, attributes
            ):
                async with self.app_sessions() as session, session.begin():
                    await session.execute(SET_TENANT, {"tenant": str(event.tenant_id)})
                    position = await positions.lock_position(session, self.name)
                    if position is None:
                        return Outcome.BUSY
                    if read is not None and position.rebuilds != read.rebuilds:
                        return Outcome.STALE
                    if position.seq >= event.seq:
                        return Outcome.SKIPPED
                    await self.consumer.handle(session, event)
                    await positions.record_handled(session, self.name, event.seq)
            return Outcome.HANDLED
        except Exception as error:
            if is_connection_failure(error):
                raise
            failure = HandlerFailed(self.name, event.seq, error)
        await self._record_failure(failure)
        raise failure

    async def _record_failure(self, failure: HandlerFailed) -> None:
        text = "".join(traceback.format_exception_only(failure.error)).strip()
        async with self.owner_sessions() as session, session.begin():
            await positions.record_failure(session, self.name, failure.seq, text)

    @property
    def task_name(self) -> str:
        return f"consumer:{self.name}"

    async def _run(self) -> None:
        failures = 0  # consecutive rounds that failed
        unreachable = False  # the database was unreachable at the last attempt (log once)
        while not self._stopping:
            self._wake.clear()  # before the round: an event arriving meanwhile wakes the next
            handler_failed = False
            try:
                await self.drain()
            except HandlerFailed as failure:
                handler_failed = True
                log.error(
                    "event consumer %s failed on event %s (attempt %d); retrying",
                    self.name,
                    failure.seq,
                    failures + 1,
                    exc_info=failure.error,
                )
            except Exception as error:
                if not is_connection_failure(error):
                    log.exception("event consumer %s failed; retrying", self.name)
                elif not unreachable:
                    log.warning(
                        "event consumer %s cannot reach the database (%s); retrying",
                        self.name,
                        error,
                    )
                unreachable = is_connection_failure(error)
                failures += 1
                await self._pause(min(self._backoff(failures), self.poll_interval), True)
                continue
            failures = failures + 1 if handler_failed else 0
            unreachable = False
            if handler_failed:
                # New events must not cut a failing handler's back-off short.
                await self._pause(self._backoff(failures), False)
            else:
                await self._pause(self.poll_interval, True)


class ConsumerRunners:
    """The runners of the consumers a process serves, started and stopped with it."""

    def __init__(self, consumers: Sequence[EventConsumer]) -> None:
        self.consumers = tuple(consumers)
        self.runners: list[ConsumerRunner] = []

    async def start(
        self, owner_sessions: Sessions, app_sessions: Sessions, hub: EventHub | None
    ) -> None:
        """Register each consumer (so that events committed once the process serves count
        as after its starting point), then run them. A database unreachable now only
        delays the registration to the runner's first round."""
        self.runners = [
            ConsumerRunner(consumer, owner_sessions, app_sessions) for consumer in self.consumers
        ]
        for runner in self.runners:
            try:
                await runner.register()
            except Exception as error:
                if not is_connection_failure(error):
                    raise
                log.warning("event consumer %s cannot register yet (%s)", runner.name, error)
            runner.start(hub)

    async def stop(self) -> None:
        await asyncio.gather(*(runner.stop() for runner in self.runners))
