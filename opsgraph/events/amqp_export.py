"""The message bus export: with OPSGRAPH_AMQP_URL set, every committed domain event is
published to a RabbitMQ topic exchange (durable, `opsgraph.events` unless
OPSGRAPH_AMQP_EXCHANGE says otherwise), routing key the event's kind (`incident.created`),
as a persistent CloudEvents message (opsgraph/events/cloudevents.py) with publisher confirms.

The exporter is fed from the outbox, not from the relay's bus: it keeps a durable position
of its own, a consumer position (`events.consumer_positions`, named EXPORTER), so outbox
pruning keeps every event it has not exported yet and `opsgraph events status` shows its lag.
A round (`export_pending`) stamps committed events (as the relay does), then, in one
transaction holding its position row (FOR UPDATE SKIP LOCKED: while another replica holds
it, this one leaves the round), reads the events after the position in `seq` order,
publishes them on one channel, waits for the broker's confirms and moves the position to the
last event of the confirmed prefix, and commits.

The guarantee, precisely: every committed event reaches the exchange at least once, in `seq`
order. The position moves only past events the broker confirmed (a confirmed persistent
message routed to a durable queue is on disk there), so a broker outage or restart loses
nothing: the unconfirmed events are published again from the position once the broker is
back. An event can be published twice only when its confirm was lost (the connection dropped
after the broker took it, or this process died between the confirm and its commit); the copy
is the same message with the same `message_id` (the event's `seq`), which is the receiver's
idempotency key. Within a queue, messages arrive in `seq` order, a re-sent run starting again
at the first unconfirmed event.

Which process runs it: every process that runs the outbox relay (opsgraph/events/
delivery.py), woken by its hub's events and polling besides; replicas take turns through
the position's row lock. A broker that cannot be reached is retried with a back-off that
doubles up to `max_backoff`, logged once per outage (aio-pika's own logger adds a line per
failed connection attempt) and counted in the position's failures (`opsgraph events
status`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractExchange
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import consumer_positions as positions
from db.event_trace import continued_span, current_trace, split_trace
from db.failures import is_connection_failure
from db.outbox import Outbox, events_after, stamp_committed
from opsgraph.events.cloudevents import CONTENT_TYPE, BusMessage, bus_message
from opsgraph.events.pacing import PacedLoop
from opsgraph.metrics.families import AMQP_PUBLISH_FAILURES, AMQP_PUBLISHED
from opsgraph.settings import Settings

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
EXPORTER = "opsgraph.amqp-export"  # its consumer position's name
BATCH = 200
STAMP_BATCH = 1000


@dataclass(frozen=True)
class ExportPosition:
    """The exporter as `opsgraph events status` and the metrics see it: a consumer position
    over every domain's events."""

    name: str
    domains: frozenset[str]
    kinds: frozenset[str] | None = None


def export_positions(settings: Settings, domains: Sequence[str]) -> tuple[ExportPosition, ...]:
    """The exporter's position when the export is on (none when OPSGRAPH_AMQP_URL is unset)."""
    return (ExportPosition(EXPORTER, frozenset(domains)),) if settings.amqp_url else ()


class PublishFailed(Exception):
    """The broker did not confirm every message of a batch (the confirmed ones are recorded)."""


class AmqpExporter(PacedLoop):
    def __init__(
        self,
        url: str,
        sessions: Sessions,
        domains: Sequence[str],
        *,
        exchange: str = "opsgraph.events",
        name: str = EXPORTER,
        poll_interval: float = 1.0,
        max_backoff: float = 5.0,
        timeout: float = 10.0,
        batch: int = BATCH,
    ) -> None:
        """`sessions` are the owner's (every tenant's events); `domains` those whose events
        pruning must keep until exported (every registered domain); `timeout` bounds a
        connection attempt and the confirms of one batch."""
        self.url = url
        self.sessions = sessions
        self.domains = frozenset(domains)
        self.exchange_name = exchange
        self.name = name
        self.poll_interval = poll_interval
        super().__init__(max_backoff)
        self.timeout = timeout
        self.batch = batch
        self.connections = 0  # opened so far (1 + reconnections): for operators and tests
        self._connection: AbstractConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._registered = False

    async def register(self) -> None:
        """Create the position unless it exists: after the latest committed event (the
        export starts with the events committed once it is switched on)."""
        async with self.sessions() as session, session.begin():
            while await stamp_committed(session, STAMP_BATCH) == STAMP_BATCH:
                pass
            await positions.register(session, self.name, self.domains, from_oldest=False)
        self._registered = True

    async def export_pending(self) -> int:
        """Publish every event committed so far after the position; returns how many were
        confirmed. Returns early when another replica holds the position or `stop()` was
        called; raises when the broker fails (after recording what it confirmed)."""
        if not self._registered:
            await self.register()
        exported = 0
        while not self._stopping:
            async with self.sessions() as session, session.begin():
                stamped = await stamp_committed(session, STAMP_BATCH)
            failure: BaseException | None = None
            async with self.sessions() as session, session.begin():
                position = await positions.lock_position(session, self.name)
                if position is None:
                    if await positions.read_position(session, self.name) is not None:
                        return exported  # another replica is exporting
                    await self.register()  # its row was deleted by hand meanwhile
                    continue
                rows = await events_after(session, position.seq, self.batch)
                confirmed = 0
                if rows:
                    confirmed, failure = await self._publish(rows)
                if confirmed:
                    last = rows[confirmed - 1].seq
                    assert last is not None  # events_after reads stamped events only
                    await positions.record_handled(session, self.name, last)
            exported += confirmed
            if failure is not None:
                raise PublishFailed(
                    f"the broker confirmed {confirmed} of {len(rows)} events after "
                    f"{position.seq}: {failure!r}"
                ) from failure
            if len(rows) < self.batch and stamped < STAMP_BATCH:
                break
        return exported

    async def _publish(self, rows: Sequence[Outbox]) -> tuple[int, BaseException | None]:
        """Publish `rows` in order on one channel; returns how many of the first were
        confirmed, and the failure that stopped the others (None when all were)."""
        try:
            exchange = await self._open()
        except Exception as error:
            await self._close()
            return 0, error
        # One task per message, created in order: each runs up to the channel's lock (a FIFO
        # asyncio.Lock, nothing awaited before it), so the frames leave in `seq` order while
        # the confirms are awaited together.
        sends = [asyncio.create_task(self._send(exchange, row)) for row in rows]
        done, pending = await asyncio.wait(sends, timeout=self.timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        confirmed = 0
        failure: BaseException | None = None
        for task in sends:
            if task in pending:
                failure = TimeoutError(f"no confirm within {self.timeout} s")
            elif task.cancelled():  # the channel closed under it
                failure = ConnectionError("the publish was cancelled: the channel closed")
            else:
                failure = task.exception()
            if failure is not None:
                break
            confirmed += 1
        AMQP_PUBLISHED.inc(confirmed)
        if failure is not None:
            AMQP_PUBLISH_FAILURES.inc()
            for task in done:  # retrieved, so asyncio does not log them as never retrieved
                if not task.cancelled():
                    task.exception()
            await self._close()  # a channel that lost confirms is not trusted again
        return confirmed, failure

    async def _send(self, exchange: AbstractExchange, row: Outbox) -> None:
        _, carried = split_trace(row.payload)
        attributes: dict[str, AttributeValue] = {
            "messaging.system": "rabbitmq",
            "messaging.destination.name": self.exchange_name,
            "messaging.rabbitmq.destination.routing_key": row.kind,
            "opsgraph.event.seq": row.seq or 0,
        }
        # In the trace of the mutation that wrote the event; the receiver continues it.
        span = f"{self.exchange_name} publish"
        with continued_span(span, carried, SpanKind.PRODUCER, attributes):
            message = bus_message(row, current_trace() or None)
            await exchange.publish(amqp_message(message), message.routing_key, mandatory=False)

    async def _open(self) -> AbstractExchange:
        if self._connection is not None and not self._connection.is_closed:
            assert self._exchange is not None
            return self._exchange
        await self._close()
        connection = await aio_pika.connect(self.url, timeout=self.timeout)
        try:
            channel = await connection.channel(publisher_confirms=True)
            self._exchange = await channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.connections += 1
        return self._exchange

    async def _close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.timeout):
                    await connection.close()

    @property
    def task_name(self) -> str:
        return self.name

    async def stop(self) -> None:
        """Let the batch in flight finish (its confirms recorded), then close the connection."""
        await super().stop()
        await self._close()

    async def _run(self) -> None:
        failures = 0  # consecutive rounds that failed
        while not self._stopping:
            self._wake.clear()  # before the round: an event arriving meanwhile wakes the next
            try:
                await self.export_pending()
            except Exception as error:
                failures += 1
                await self._failed(error, failures)
                await self._pause(self._backoff(failures), wakeable=False)
                continue
            if failures:
                log.warning("AMQP export resumed after %d failed attempts", failures)
            failures = 0
            await self._pause(self.poll_interval, wakeable=True)

    async def _failed(self, error: Exception, failures: int) -> None:
        """Log the first failure of an outage; record each in the position's failures."""
        # A refused connection to the broker is an OSError too: the broker's failures are
        # PublishFailed, whatever they were raised from.
        database = not isinstance(error, PublishFailed) and is_connection_failure(error)
        if failures == 1:
            if database:
                log.warning("AMQP export cannot reach the database (%s); retrying", error)
            else:
                log.warning("AMQP export cannot publish (%s); retrying", error)
        if database:
            return
        text = "".join(traceback.format_exception_only(error)).strip()
        with contextlib.suppress(Exception):
            async with self.sessions() as session, session.begin():
                position = await positions.read_position(session, self.name)
                seq = position.seq + 1 if position is not None else 0
                await positions.record_failure(session, self.name, seq, text)


def amqp_message(message: BusMessage) -> aio_pika.Message:
    """The AMQP 0-9-1 message: persistent, with the CloudEvents content type."""
    return aio_pika.Message(
        message.body,
        headers=dict(message.headers),
        content_type=CONTENT_TYPE,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id="opsgraph",
    )


def exporter(settings: Settings, sessions: Sessions, domains: Sequence[str]) -> AmqpExporter | None:
    """The process's exporter, when OPSGRAPH_AMQP_URL is set."""
    if not settings.amqp_url:
        return None
    return AmqpExporter(settings.amqp_url, sessions, domains, exchange=settings.amqp_exchange)
