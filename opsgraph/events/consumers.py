"""Running the event consumers a process serves (declared by domains, resolvers/consumers.py).

One `ConsumerRunner` per consumer. A round (`drain`) reads, as the owner and in one
statement, the consumer's position, the latest `seq` and the stamped outbox events of the
consumer's domains (and kinds) after the position, in `seq` order and in batches, and hands
them to the consumer in transactions of up to its `per_transaction` consecutive events of one
tenant (one each by default): the application role with the events' tenant set (the tenant
wall), the consumer's position row locked (FOR UPDATE SKIP LOCKED: while another replica holds
it, this one leaves the round and tries again later), the position checked again (an event at
or before it is skipped, so a replay changes nothing), the handler called on each event (each
after the first in a savepoint of its own), the new position written, one commit. Events of
other domains or kinds are never read: the transaction of the consumer's last event up to the
latest `seq` moves the position past the rest, or, when it had none, one statement does.

A round of the poll timer first stamps committed events itself (as the relay does; stamping is
serialised across processes), so the runner needs no relay in its process. The runner also
wakes on each event of its kinds the process's hub delivers: such a round stamps nothing (the
event came stamped) and leaves the position behind other domains' events until it is
`PASS_OVER_AFTER` events behind, its next event or timer round moving it. A woken round
starts `gather` seconds after the event that woke it, so that the events of the mutations
that follow it closely go in the same round (and transaction): one round per event cost a
create + assign at concurrency 1 about a third of its round trips. Events arriving during a
round wake one more round, not one each.

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
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import consumer_positions as positions
from db.event_trace import continued_span
from db.failures import is_connection_failure
from db.outbox import stamp_committed
from db.scope import RequestDatabase, walled
from opsgraph.events.hub import EventHub, event_from_row
from opsgraph.events.pacing import PacedLoop
from resolvers.consumers import EventConsumer, ManyHandler
from resolvers.events import Event

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
BATCH = 200
STAMP_BATCH = 1000
PASS_OVER_AFTER = BATCH  # other events a woken round lets its position lag behind by
GATHER = 0.05  # seconds a woken round waits for the events that follow (see above)


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
        per_transaction: int | None = None,
        gather: float = GATHER,
    ) -> None:
        self.consumer = consumer
        self.owner_sessions = owner_sessions
        self.app_sessions = app_sessions
        self.poll_interval = poll_interval
        super().__init__(max_backoff)
        self.batch = batch
        self.per_transaction = per_transaction or consumer.per_transaction
        self.gather = gather
        self._quoted_name = positions.quoted(consumer.name)
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

    async def drain(self, *, woken: bool = False) -> int:
        """Handle every event of the consumer's committed so far; returns how many this call
        handled. Returns early when another replica holds the position or `stop()` was
        called. Raises HandlerFailed (after recording it) when the handler raises.

        A round `woken` by an event the hub delivered neither stamps (that event, and every
        one before it, is stamped already; later ones wake it again) nor writes the position
        only to pass over other events, unless it is `PASS_OVER_AFTER` behind: the position
        then moves with the next handled event, or in a round of the poll timer."""
        if not self._registered:
            await self.register()
        handled = 0
        while not self._stopping:
            stamped = 0
            if not woken:
                async with self.owner_sessions() as session, session.begin():
                    stamped = await stamp_committed(session, STAMP_BATCH)
            async with self.owner_sessions() as session:
                # One statement: no transaction around it (its BEGIN and end, two round trips
                # a round, would add nothing).
                await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                found = await positions.read_round(
                    session, self.name, self.consumer.domains, self.consumer.kinds, self.batch
                )
            if found is None:  # its row was deleted by hand meanwhile
                await self.register()
                continue
            read, latest, rows = found
            complete = len(rows) < self.batch  # every event of its up to `latest` read
            outcome = Outcome.SKIPPED
            runs = self._transactions([event_from_row(row) for row in rows])
            for i, events in enumerate(runs):
                if self._stopping:
                    return handled
                through = latest if complete and i == len(runs) - 1 else None
                outcome, count = await self.deliver_many(events, read, through=through)
                handled += count
                if outcome is Outcome.BUSY or self._stopping:
                    # Stopped: the run may have ended early, so the position must not pass
                    # over the rest.
                    return handled
                if outcome is Outcome.STALE:
                    break
                if outcome is Outcome.HANDLED:
                    # Where this transaction left the position: the next one finds it there
                    # (and holds it in its BEGIN's round trip) unless another replica or a
                    # rebuild moved it meanwhile.
                    read = positions.Position(max(events[-1].seq, through or 0), read.rebuilds)
            if outcome is Outcome.STALE or not complete:
                continue  # read again: from the rebuilt position, or its next events
            passed = outcome is Outcome.HANDLED  # through `latest`, with the last event
            if (
                not passed
                and latest > read.seq
                and (not woken or latest - read.seq >= PASS_OVER_AFTER)
            ):
                async with self.owner_sessions() as session, session.begin():
                    await positions.pass_over(session, self.name, latest, read)
            if stamped < STAMP_BATCH:
                return handled
        return handled

    def _transactions(self, events: list[Event]) -> list[list[Event]]:
        """The events in the runs one transaction handles: consecutive events of one tenant
        (a transaction stands behind one tenant's wall), `per_transaction` at most."""
        runs: list[list[Event]] = []
        for event in events:
            run = runs[-1] if runs else None
            if (
                run is None
                or run[0].tenant_id != event.tenant_id
                or len(run) >= self.per_transaction
            ):
                runs.append([event])
            else:
                run.append(event)
        return runs

    async def deliver(self, event: Event, read: positions.Position | None = None) -> Outcome:
        """Hand one event to the consumer unless its position says it is handled (a
        re-delivered event changes nothing). Raises HandlerFailed (after recording it) when
        the handler raises; the caller must deliver events in `seq` order. `read` is the
        position the event was read after: a rebuild since then makes it STALE."""
        return (await self.deliver_many([event], read))[0]

    async def deliver_many(
        self,
        events: Sequence[Event],
        read: positions.Position | None = None,
        *,
        through: int | None = None,
    ) -> tuple[Outcome, int]:
        """Hand events of one tenant, in `seq` order, to the consumer in one transaction
        (see `_deliver_each`). A consumer with `handle_many` gets them in one call; when it
        raises, the transaction is rolled back and the events handed over one by one.
        `through`: no event of the consumer's lies between the last of `events` and there,
        so once they are all handled the position moves there (passing over the others in
        the same statement)."""
        if self.consumer.handle_many is None or len(events) == 1:
            return await self._deliver_each(events, read, through)
        try:
            return await self._deliver_at_once(self.consumer.handle_many, events, read, through)
        except Exception as error:
            if is_connection_failure(error):
                raise
            log.warning(
                "event consumer %s failed on events %s to %s at once (%r); one by one now",
                self.name,
                events[0].seq,
                events[-1].seq,
                error,
            )
        return await self._deliver_each(events, read, through)

    @asynccontextmanager
    async def _delivery(
        self, tenant_id: uuid.UUID, read: positions.Position | None
    ) -> AsyncIterator[tuple[AsyncSession, RequestDatabase, positions.Position | Outcome]]:
        """A delivery's transaction as the application role behind the tenant's wall, with
        the consumer's position held: the session, its scope (`_handled`) and the position,
        or BUSY (another replica holds it) or STALE (a rebuild moved it since `read`).
        Committed at the end, rolled back on error.

        BEGIN, the wall and the position's lock go in one round trip when the position is
        still as `read` (the lock is taken only then); else the position is locked and read
        in a statement of its own, to tell which."""
        held = "" if read is None else positions.hold_if_unchanged(self._quoted_name, read)
        async with (
            walled(self.app_sessions, tenant_id) as db,
            db.unit_of_work(begin_with=held) as session,
        ):
            position: positions.Position | Outcome | None
            if held and db.begun == positions.HELD:
                position = read
            else:
                position = await positions.lock_position(session, self.name)
                if position is None:
                    position = Outcome.BUSY
                elif read is not None and position.rebuilds != read.rebuilds:
                    position = Outcome.STALE
            assert position is not None
            yield session, db, position

    def _handled(self, db: RequestDatabase, seq: int) -> None:
        """Move the position to `seq` with the delivery's COMMIT, in its round trip."""
        db.commit_with = positions.record_handled_sql(self._quoted_name, seq)

    async def _deliver_at_once(
        self,
        handle_many: ManyHandler,
        events: Sequence[Event],
        read: positions.Position | None,
        through: int | None,
    ) -> tuple[Outcome, int]:
        async with self._delivery(events[0].tenant_id, read) as (session, db, position):
            if isinstance(position, Outcome):
                return position, 0
            todo = [event for event in events if event.seq > position.seq]
            if not todo:
                return Outcome.SKIPPED, 0
            attributes: dict[str, AttributeValue] = {
                "opsgraph.consumer": self.name,
                "opsgraph.event.seq": todo[0].seq,
                "opsgraph.event.last_seq": todo[-1].seq,
                "opsgraph.events": len(todo),
            }
            # One span for the lot, in the trace of the first event's change.
            name = f"consume {len(todo)} events"
            with continued_span(name, todo[0].trace, SpanKind.CONSUMER, attributes):
                await handle_many(session, todo)
            self._handled(db, max(todo[-1].seq, through or 0))
        return Outcome.HANDLED, len(todo)

    async def _deliver_each(
        self, events: Sequence[Event], read: positions.Position | None, through: int | None
    ) -> tuple[Outcome, int]:
        """Hand events of one tenant, in `seq` order, to the consumer's `handle` in one
        transaction, as `deliver` does one: (HANDLED and how many, or SKIPPED, BUSY, STALE
        and 0).

        Each event after the transaction's first runs in a savepoint of its own, so a
        handler that raises on one rolls back that event's effects only: the events before it
        commit with the position moved past them, then its failure is recorded and raised, as
        if each event had had a transaction of its own. `stop()` ends the run after the
        event in flight."""
        handled, last, current = 0, 0, events[0].seq
        failure: HandlerFailed | None = None
        try:
            async with self._delivery(events[0].tenant_id, read) as (session, db, position):
                if isinstance(position, Outcome):
                    return position, 0
                for event in events:
                    if event.seq <= position.seq:
                        continue
                    if handled and self._stopping:
                        break
                    current = event.seq
                    if not handled:
                        await self._handle(session, event)
                    else:
                        try:
                            async with session.begin_nested():
                                await self._handle(session, event)
                        except Exception as error:
                            if is_connection_failure(error):
                                raise
                            failure = HandlerFailed(self.name, event.seq, error)
                            break
                    handled, last = handled + 1, event.seq
                if not handled:
                    return Outcome.SKIPPED, 0
                if failure is None and last == events[-1].seq:
                    last = max(last, through or 0)
                self._handled(db, last)
        except Exception as error:
            if is_connection_failure(error):
                raise
            failure = HandlerFailed(self.name, current, error)
        if failure is not None:
            await self._record_failure(failure)
            raise failure
        return Outcome.HANDLED, handled

    async def _handle(self, session: AsyncSession, event: Event) -> None:
        """The handler on one event, a span in the trace of the mutation that wrote it (its
        statements below)."""
        attributes: dict[str, AttributeValue] = {
            "opsgraph.consumer": self.name,
            "opsgraph.event.seq": event.seq,
            "opsgraph.event.kind": event.kind,
        }
        with continued_span(f"consume {event.kind}", event.trace, SpanKind.CONSUMER, attributes):
            await self.consumer.handle(session, event)

    async def _record_failure(self, failure: HandlerFailed) -> None:
        text = "".join(traceback.format_exception_only(failure.error)).strip()
        async with self.owner_sessions() as session, session.begin():
            await positions.record_failure(session, self.name, failure.seq, text)

    @property
    def task_name(self) -> str:
        return f"consumer:{self.name}"

    def wake(self, event: Event | None = None) -> None:
        """Look for new events now, unless `event` is of a kind the consumer does not read
        (it then has nothing to do: its own events wake it, the poll timer moves it past the
        others)."""
        if event is None or self.consumer.kinds is None or event.kind in self.consumer.kinds:
            super().wake(event)

    async def _run(self) -> None:
        failures = 0  # consecutive rounds that failed
        unreachable = False  # the database was unreachable at the last attempt (log once)
        woken = False  # by an event the hub delivered, not by the timer
        while not self._stopping:
            self._wake.clear()  # before the round: an event arriving meanwhile wakes the next
            handler_failed = False
            try:
                await self.drain(woken=woken)
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
            woken = False
            if handler_failed:
                # New events must not cut a failing handler's back-off short.
                await self._pause(self._backoff(failures), False)
            else:
                await self._pause(self.poll_interval, True)
                woken = self._wake.is_set()
                if woken and self.gather:
                    await self._pause(self.gather, False)  # stop() cuts it short


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
