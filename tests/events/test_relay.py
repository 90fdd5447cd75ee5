"""Committed changes reach subscribers through the outbox relay, in-process or via Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.event import listen, remove
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine, session_factory
from db.failures import is_connection_failure
from db.tables import events
from db.tenants import create_tenant
from opsgraph.events.bus import (
    EVENTS_CHANNEL,
    QUEUE_LIMIT,
    RESUBSCRIBED,
    InProcessBus,
    RedisBus,
    event_bus,
)
from opsgraph.events.relay import OutboxRelay
from opsgraph.redis_link import RedisLink
from tests.events.test_hub import add_event
from tests.support import PostgresServer, Subgraph

CREATE = 'mutation { createIncident(input: {title: "Core switch down"}) { id number } }'


@pytest.fixture
async def drained(owner_sessions: Any, database_url: str) -> None:
    """Nothing earlier tests left unpublished in this database: a relay publishes every
    pending event, every tenant's, in order, and a subscriber's queue holds QUEUE_LIMIT of
    them; behind another test's ten thousand, a test's own events were dropped and waited
    for in vain."""
    await OutboxRelay(owner_sessions, InProcessBus(), database_url).publish_pending()


async def next_event_for(subscription: Any, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The next message of this test's tenant (other tests' events may pass by)."""
    while True:
        raw = await asyncio.wait_for(subscription.get(), 10)
        if raw == RESUBSCRIBED:
            continue
        message = orjson.loads(raw)
        if message["tenantId"] == str(tenant_id):
            return message  # type: ignore[no-any-return]


async def relay_delivers(
    bus: Any, incidents: Subgraph, owner_sessions: Any, database_url: str, tenant_id: uuid.UUID
) -> None:
    # Polling once an hour: within the test's wait only NOTIFY can wake the relay.
    relay = OutboxRelay(owner_sessions, bus, database_url, poll_interval=3600)
    async with bus.subscribe(EVENTS_CHANNEL) as subscription:
        relay.start()
        try:
            await asyncio.wait_for(relay.ready.wait(), 10)
            created = (await incidents.ok(CREATE))["createIncident"]
            message = await next_event_for(subscription, tenant_id)
        finally:
            await relay.stop()
    assert message["kind"] == "incident.created"
    assert isinstance(message["seq"], int) and message["seq"] >= 1
    assert message["entityId"] == created["id"]
    assert message["payload"]["number"] == 1
    async with owner_sessions() as session:
        published = await session.scalar(
            select(events.OutboxEvent.published_at).where(events.OutboxEvent.id == message["id"])
        )
    assert published is not None


class _FailingOnce(InProcessBus):
    """A bus whose first publish fails (Redis gone mid-batch, say)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def publish(self, channel: str, message: bytes) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("the bus is unreachable")
        await super().publish(channel, message)


async def test_a_batch_that_fails_to_publish_stays_unpublished_for_the_next_round(
    owner_engine: AsyncEngine,
    owner_sessions: Any,
    database_url: str,
    tenant_id: uuid.UUID,
    drained: None,
) -> None:
    """Claiming marks a batch published in its transaction: publishing it fails, the
    transaction rolls back, and the next round publishes every event of it, in order.

    The bus failed, not the database: the connection is rolled back and kept, not dropped
    (a dropped one's server held the batch's locks a moment longer, and the next round's
    claim, which skips locked events, published none of them)."""
    async with owner_sessions() as session, session.begin():
        ids = [(await add_event(session, tenant_id)).id for _ in range(3)]
    bus = _FailingOnce()
    relay = OutboxRelay(owner_sessions, bus, database_url)
    published = select(events.OutboxEvent.published_at).where(events.OutboxEvent.id.in_(ids))
    invalidated: list[BaseException | None] = []

    def count(dbapi_connection: Any, record: Any, error: BaseException | None) -> None:
        invalidated.append(error)

    listen(owner_engine.sync_engine.pool, "invalidate", count)
    async with bus.subscribe(EVENTS_CHANNEL) as subscription:
        try:
            with pytest.raises(ConnectionError):
                await relay.publish_pending()
        finally:
            remove(owner_engine.sync_engine.pool, "invalidate", count)
        assert invalidated == []
        async with owner_sessions() as session:
            assert list(await session.scalars(published)) == [None, None, None]
        await relay.publish_pending()
        messages = [await next_event_for(subscription, tenant_id) for _ in ids]
    assert [message["id"] for message in messages] == ids
    assert [message["seq"] for message in messages] == sorted(m["seq"] for m in messages)
    async with owner_sessions() as session:
        assert None not in list(await session.scalars(published))


class _Looking(InProcessBus):
    """A bus that looks, from a connection of its own, at each event it is given to publish:
    its `seq` and whether it is marked published, as another reader sees them then."""

    def __init__(self, sessions: Any) -> None:
        super().__init__()
        self.sessions = sessions
        self.seen: dict[int, tuple[int | None, bool]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        event = orjson.loads(message)
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(events.OutboxEvent.seq, events.OutboxEvent.published_at).where(
                        events.OutboxEvent.id == event["id"]
                    )
                )
            ).one()
        self.seen[event["id"]] = (row.seq, row.published_at is not None)
        await super().publish(channel, message)


async def test_events_are_stamped_for_every_reader_before_they_are_published(
    owner_sessions: Any, database_url: str, tenant_id: uuid.UUID, drained: None
) -> None:
    """A subscriber told of an event can read it by its `seq` at once; its mark as published
    commits only once it is (a failed publish leaves it for the next round)."""
    async with owner_sessions() as session, session.begin():
        ids = [(await add_event(session, tenant_id)).id for _ in range(3)]
    bus = _Looking(owner_sessions)
    relay = OutboxRelay(owner_sessions, bus, database_url)
    async with bus.subscribe(EVENTS_CHANNEL) as subscription:
        await relay.publish_pending()
        messages = [await next_event_for(subscription, tenant_id) for _ in ids]
    assert [bus.seen[id] for id in ids] == [(message["seq"], False) for message in messages]


async def test_in_process_delivery(
    incidents: Subgraph,
    owner_sessions: Any,
    database_url: str,
    tenant_id: uuid.UUID,
    drained: None,
) -> None:
    await relay_delivers(InProcessBus(), incidents, owner_sessions, database_url, tenant_id)


@pytest.mark.redis
async def test_redis_delivery(
    incidents: Subgraph,
    owner_sessions: Any,
    database_url: str,
    tenant_id: uuid.UUID,
    redis_url: str,
    drained: None,
) -> None:
    link = RedisLink(redis_url, timeout=1, cool_down=0.05)
    try:
        await relay_delivers(RedisBus(link), incidents, owner_sessions, database_url, tenant_id)
    finally:
        await link.close()


def test_the_switch_follows_redis_url() -> None:
    assert isinstance(event_bus(None), InProcessBus)
    link = RedisLink("redis://127.0.0.1:1/0", timeout=1, cool_down=1)  # connects on first use
    assert isinstance(event_bus(link), RedisBus)


async def test_a_subscriber_that_stops_reading_is_cut_off() -> None:
    bus = InProcessBus()
    async with bus.subscribe("c") as slow:
        for i in range(QUEUE_LIMIT + 1):
            await bus.publish("c", str(i).encode())
    assert slow.overflowed and slow.queue.qsize() == QUEUE_LIMIT


async def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll `condition` until it holds (a bound on the wait, not a measured duration)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def commit_event(sessions: Any, tenant_id: uuid.UUID) -> uuid.UUID:
    """Commit one outbox event, retrying while the database is still coming back."""
    async with asyncio.timeout(30):
        while True:
            try:
                async with sessions() as session, session.begin():
                    event = await add_event(session, tenant_id)
                return event.entity_id
            except Exception as error:
                if not is_connection_failure(error):
                    raise
                await asyncio.sleep(0.1)


async def test_listen_is_reestablished_after_postgres_restarts(
    private_postgres: PostgresServer, private_database: str
) -> None:
    engine = create_engine(private_database, pool_size=2, max_overflow=0)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        tenant_id = await create_tenant(session, "relay", "Relay")
    bus = InProcessBus()
    # Polling once an hour: within the test's waits only NOTIFY can wake the relay.
    relay = OutboxRelay(sessions, bus, private_database, poll_interval=3600)
    async with bus.subscribe(EVENTS_CHANNEL) as subscription:
        relay.start()
        try:
            await asyncio.wait_for(relay.ready.wait(), 10)
            assert (relay.listens, relay.listening) == (1, True)
            before = await commit_event(sessions, tenant_id)
            assert (await next_event_for(subscription, tenant_id))["entityId"] == str(before)

            private_postgres.stop()
            await wait_until(lambda: not relay.listening)
            private_postgres.start()
            await wait_until(lambda: relay.listening)
            notified = relay.wakeups["notify"]
            after = await commit_event(sessions, tenant_id)
            # The relay publishes at least once: a batch whose marking the stop interrupted
            # goes out again (the hub drops such repeats by seq).
            message = await next_event_for(subscription, tenant_id)
            while message["entityId"] == str(before):
                message = await next_event_for(subscription, tenant_id)
            assert message["entityId"] == str(after)
        finally:
            await relay.stop()
            await engine.dispose()
    assert relay.listens == 2
    assert relay.wakeups["lost"] == 1
    assert relay.wakeups["notify"] > notified  # woken by the NOTIFY, not by the poll timer
