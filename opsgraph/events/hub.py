"""The event hub: one per process, between the bus and every subscription of the process.

The bus may lose messages (Redis pub/sub while disconnected), repeat them (two relays
publishing the same stamped events) or deliver them out of order (two relays racing). The
hub turns that into the exact sequence: it remembers the last `seq` it delivered, drops what
it has already seen, and reads any gap from the outbox before going on. It also reads the
outbox after every (re)subscription to the bus and every `catch_up_interval` seconds of
silence, so an event is never stuck behind a lost message.

Each subscription gets a listener: a bounded queue of its tenant's events. A listener that
falls `queue_limit` events behind is cut off with SLOW_CONSUMER (its client resumes with
`after`), so a stuck consumer cannot grow memory without bound.

Observers (`observe`) see every tenant's events in the same exact sequence, synchronously:
process-wide caches that follow changes (the authenticator's active users) hang here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.event_trace import split_trace
from db.failures import is_connection_failure
from db.outbox import events_after, sequence_bounds
from opsgraph.events.bus import EVENTS_CHANNEL, RESUBSCRIBED, EventBus
from opsgraph.telemetry.tracing import without_statement_spans
from resolvers.errors import BadUserInput, ResyncRequired, SlowConsumer
from resolvers.events import Event

log = logging.getLogger(__name__)
PAGE = 500


class EventRow(Protocol):
    """An outbox row's columns that make an event (a mapped `Outbox`, or a row read with
    those columns)."""

    @property
    def seq(self) -> int | None: ...
    @property
    def tenant_id(self) -> uuid.UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> uuid.UUID: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...


def event_from_row(row: EventRow) -> Event:
    assert row.seq is not None
    payload, carried = split_trace(row.payload)
    return Event(
        seq=row.seq,
        tenant_id=row.tenant_id,
        kind=row.kind,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        payload=payload,
        occurred_at=row.created_at,
        trace=carried,
    )


def event_from_message(message: bytes) -> Event:
    """An event as the relay encodes it (relay.encode_event)."""
    data = orjson.loads(message)
    payload, carried = split_trace(data["payload"])
    return Event(
        seq=int(data["seq"]),
        tenant_id=uuid.UUID(data["tenantId"]),
        kind=data["kind"],
        entity_type=data["entityType"],
        entity_id=uuid.UUID(data["entityId"]),
        payload=payload,
        occurred_at=datetime.fromisoformat(data["createdAt"]),
        trace=carried,
    )


class _Listener:
    __slots__ = ("overflowed", "queue", "tenant_id")

    def __init__(self, tenant_id: uuid.UUID, limit: int) -> None:
        self.tenant_id = tenant_id
        self.queue: asyncio.Queue[Event] = asyncio.Queue(limit)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> Event:
        if self.overflowed and self.queue.empty():
            raise SlowConsumer("Events arrived faster than this subscription consumed them")
        return await self.queue.get()


class EventHub:
    def __init__(
        self, bus: EventBus, *, catch_up_interval: float = 2.0, queue_limit: int = 10_000
    ) -> None:
        self.bus = bus
        self.catch_up_interval = catch_up_interval
        self.queue_limit = queue_limit
        self.last_seq = 0
        self._listeners: dict[uuid.UUID, set[_Listener]] = {}
        self._observers: list[Callable[[Event], None]] = []
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def start(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Start following the bus; `sessions` are the owner's (every tenant's events)."""
        self.sessions = sessions
        async with self.sessions() as session:
            self.last_seq = (await sequence_bounds(session))[1]
        self._task = asyncio.create_task(without_statement_spans(self._run()), name="event-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def observe(self, observer: Callable[[Event], None]) -> None:
        """Call `observer` with every event delivered from now on (it must not block)."""
        self._observers.append(observer)

    @property
    def listener_count(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    async def _run(self) -> None:
        async with self.bus.subscribe(EVENTS_CHANNEL) as subscription:
            # First, what committed between start() and the subscription; like every later
            # catch-up, retried (not fatal) while the database is unreachable.
            message = RESUBSCRIBED
            failing = False  # the database was unreachable at the last attempt (log once)
            while True:
                try:
                    if message == RESUBSCRIBED or subscription.overflowed:
                        subscription.overflowed = False
                        await self._catch_up()
                    else:
                        await self._receive(event_from_message(message))
                except Exception as error:
                    # A lost database only delays delivery: the next catch-up reads the gap
                    # (through the owner's pool, whose connections are pinged before use).
                    if not is_connection_failure(error):
                        log.exception("event hub could not deliver; will catch up")
                    elif not failing:
                        log.warning(
                            "event hub cannot reach the database (%s); will catch up", error
                        )
                    failing = True
                else:
                    failing = False
                self.ready.set()
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
                # cancellation that arrives as the message does, and stop() then waits forever.
                try:
                    async with asyncio.timeout(self.catch_up_interval):
                        message = await subscription.get()
                except TimeoutError:
                    message = RESUBSCRIBED

    async def _receive(self, event: Event) -> None:
        if event.seq <= self.last_seq:
            return  # seen already (a repeat, or read from the outbox first)
        if event.seq > self.last_seq + 1:
            await self._catch_up()  # the gap is committed: read it, this event included
            return
        self._deliver(event)

    async def _catch_up(self) -> None:
        while True:
            async with self.sessions() as session:
                rows = await events_after(session, self.last_seq, PAGE)
            for row in rows:
                self._deliver(event_from_row(row))
            if len(rows) < PAGE:
                return

    def _deliver(self, event: Event) -> None:
        self.last_seq = event.seq
        for observer in self._observers:
            try:
                observer(event)
            except Exception:
                log.exception("event observer failed on event %s", event.seq)
        for listener in self._listeners.get(event.tenant_id, ()):
            listener.offer(event)

    async def stream(self, tenant_id: uuid.UUID, after: int | None) -> AsyncIterator[Event]:
        """See resolvers.events.EventFeed."""
        listener = _Listener(tenant_id, self.queue_limit)
        # Registered before anything is awaited: live events are those after `start`.
        start = self.last_seq
        self._listeners.setdefault(tenant_id, set()).add(listener)
        try:
            seen = after or 0
            if after is not None:
                async for event in self._retained(tenant_id, after, start):
                    yield event
            while True:
                event = await listener.get()
                if event.seq > seen:  # `after` may lie beyond `start`
                    yield event
        finally:
            listeners = self._listeners.get(tenant_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[tenant_id]

    async def _retained(
        self, tenant_id: uuid.UUID, after: int, through: int
    ) -> AsyncIterator[Event]:
        """The tenant's events with `after < seq <= through`, read from the outbox."""
        async with self.sessions() as session:
            oldest, latest = await sequence_bounds(session)
        if after > latest:  # `through` (the hub's position) never passes the outbox's latest
            raise BadUserInput(f"No event has the id {after}", argument="after")
        if after < oldest - 1:
            raise ResyncRequired(
                "The events after this id are no longer retained: reload, then subscribe"
            )
        position = after
        while position < through:
            async with self.sessions() as session:
                rows = await events_after(
                    session, position, PAGE, through=through, tenant_id=tenant_id
                )
            for row in rows:
                yield event_from_row(row)
            if len(rows) < PAGE:
                return
            position = rows[-1].seq or through
