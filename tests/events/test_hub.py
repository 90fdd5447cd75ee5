"""The event hub turns the bus into the exact sequence: ordered, gapless, no repeats, resumable,
and it survives Redis restarts. Against real PostgreSQL and real Redis processes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.outbox import Outbox, record_event, stamp_committed
from db.tables.events import ConsumerPosition
from opsgraph.events.bus import EVENTS_CHANNEL, EventBus, InProcessBus, RedisBus
from opsgraph.events.hub import EventHub
from opsgraph.events.relay import OutboxRelay, encode_event
from opsgraph.redis_link import RedisLink
from resolvers.errors import BadUserInput, ResyncRequired
from resolvers.events import Event
from tests.support import RedisServer, Subgraph

Sessions = async_sessionmaker[AsyncSession]
CREATE = 'mutation { createIncident(input: {title: "Core switch down"}) { id number } }'


async def add_event(session: AsyncSession, tenant_id: uuid.UUID) -> Outbox:
    event = record_event(
        session,
        tenant_id=tenant_id,
        domain="incidents",
        kind="incident.updated",
        entity_type="Incident",
        entity_id=uuid.uuid4(),
        payload={"changes": {}},
    )
    await session.flush()
    return event


def of_ids(ids: list[int]) -> Select[tuple[Outbox]]:
    return select(Outbox).where(Outbox.id.in_(ids))


async def stamped_events(sessions: Sessions, tenant_id: uuid.UUID, count: int) -> list[Outbox]:
    """`count` new committed events, stamped with their seq but not published."""
    async with sessions() as session, session.begin():
        ids = [(await add_event(session, tenant_id)).id for _ in range(count)]
    async with sessions() as session, session.begin():
        await stamp_committed(session, 100)
    async with sessions() as session:
        stamped = {row.id: row for row in await session.scalars(of_ids(ids))}
    return [stamped[i] for i in ids]


class Collector:
    """Consumes one hub stream in the background."""

    def __init__(self, hub: EventHub, tenant_id: uuid.UUID, after: int | None = None) -> None:
        self.events: list[Event] = []
        self.arrived = asyncio.Condition()
        self.stream = hub.stream(tenant_id, after)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self.stream:
            async with self.arrived:
                self.events.append(event)
                self.arrived.notify_all()

    async def wait_for(self, count: int, timeout: float = 15) -> list[Event]:
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: len(self.events) >= count)
        return self.events

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def running(
    owner_sessions: Sessions, database_url: str, bus: EventBus, *, relay: bool = True
) -> AsyncIterator[EventHub]:
    hub = EventHub(bus, catch_up_interval=0.5)
    relay_task = OutboxRelay(owner_sessions, bus, database_url, poll_interval=0.2)
    await hub.start(owner_sessions)
    await asyncio.wait_for(hub.ready.wait(), 10)
    if relay:
        relay_task.start()
        await asyncio.wait_for(relay_task.ready.wait(), 10)
    try:
        yield hub
    finally:
        if relay:
            await relay_task.stop()
        await hub.stop()


async def test_seq_follows_commit_order_not_insert_order(
    owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    async with owner_sessions() as relay, relay.begin():  # earlier tests' events out of the way
        while await stamp_committed(relay, 100):
            pass
    async with owner_sessions() as late, late.begin():
        first_inserted = await add_event(late, tenant_id)
        async with owner_sessions() as early, early.begin():
            first_committed = await add_event(early, tenant_id)
        async with owner_sessions() as relay, relay.begin():
            await stamp_committed(relay, 100)  # sees only the committed one
    async with owner_sessions() as relay, relay.begin():
        await stamp_committed(relay, 100)
    async with owner_sessions() as session:
        rows = {
            row.id: row.seq
            for row in await session.scalars(of_ids([first_inserted.id, first_committed.id]))
        }
    assert first_inserted.id < first_committed.id
    assert rows[first_committed.id] + 1 == rows[first_inserted.id]


async def test_live_events_in_order_then_resume_without_loss_or_repeat(
    incidents: Subgraph, owner_sessions: Sessions, database_url: str, tenant_id: uuid.UUID
) -> None:
    async with running(owner_sessions, database_url, InProcessBus()) as hub:
        live = Collector(hub, tenant_id)
        for _ in range(3):
            await incidents.ok(CREATE)
        first, second, third = await live.wait_for(3)
        assert first.seq < second.seq < third.seq
        assert {e.kind for e in (first, second, third)} == {"incident.created"}

        resumed = Collector(hub, tenant_id, after=first.seq)
        assert [e.seq for e in await resumed.wait_for(2)] == [second.seq, third.seq]
        await incidents.ok(CREATE)
        fourth = (await resumed.wait_for(3))[2]
        assert (await live.wait_for(4))[3] == fourth
        await asyncio.sleep(0.6)  # a catch-up round passes: still nothing repeated
        assert [e.seq for e in resumed.events] == [second.seq, third.seq, fourth.seq]
        await live.close()
        await resumed.close()


async def test_other_tenants_events_never_reach_a_stream(
    incidents: Subgraph,
    owner_sessions: Sessions,
    database_url: str,
    tenant_id: uuid.UUID,
) -> None:
    async with running(owner_sessions, database_url, InProcessBus()) as hub:
        other = Collector(hub, uuid.uuid4())
        mine = Collector(hub, tenant_id)
        await incidents.ok(CREATE)
        await mine.wait_for(1)
        await asyncio.sleep(0.6)
        assert other.events == []
        await other.close()
        await mine.close()


async def test_gaps_are_read_from_the_outbox_and_repeats_dropped(
    owner_sessions: Sessions, database_url: str, tenant_id: uuid.UUID
) -> None:
    bus = InProcessBus()
    async with running(owner_sessions, database_url, bus, relay=False) as hub:
        hub.catch_up_interval = 3600  # only the bus messages below can trigger reads
        collector = Collector(hub, tenant_id)
        ordered = await stamped_events(owner_sessions, tenant_id, 4)
        # Only the third is published: the events before it are a gap the hub reads itself
        # (and everything else already committed: the fourth too).
        await bus.publish(EVENTS_CHANNEL, encode_event(ordered[2]))
        assert [e.seq for e in await collector.wait_for(4)] == [r.seq for r in ordered]
        (fifth,) = await stamped_events(owner_sessions, tenant_id, 1)
        await bus.publish(EVENTS_CHANNEL, encode_event(ordered[1]))  # a repeat
        await bus.publish(EVENTS_CHANNEL, encode_event(fifth))
        assert [e.seq for e in await collector.wait_for(5)][4:] == [fifth.seq]
        await asyncio.sleep(0.2)
        assert len(collector.events) == 5
        await collector.close()


async def test_resume_positions_outside_the_retained_window_are_refused(
    incidents: Subgraph, owner_sessions: Sessions, database_url: str, tenant_id: uuid.UUID
) -> None:
    async with running(owner_sessions, database_url, InProcessBus()) as hub:
        live = Collector(hub, tenant_id)
        for _ in range(3):
            await incidents.ok(CREATE)
        first, second, _ = await live.wait_for(3)
        await live.close()

        with pytest.raises(BadUserInput):
            await anext(hub.stream(tenant_id, hub.last_seq + 1000))

        relay = OutboxRelay(owner_sessions, InProcessBus(), database_url)
        async with owner_sessions() as session, session.begin():
            # Consumers that earlier tests registered and left behind would keep these
            # incidents' events from being pruned (as they should): forget them.
            await session.execute(delete(ConsumerPosition))
            await session.execute(
                update(Outbox)
                .where(Outbox.seq <= second.seq)
                .values(created_at=datetime.now(UTC) - timedelta(days=2))
            )
        assert await relay.prune() >= 2
        with pytest.raises(ResyncRequired):
            await anext(hub.stream(tenant_id, first.seq))
        # From the newest forgotten event on, nothing is missing: the resume works.
        resumed = Collector(hub, tenant_id, after=second.seq)
        assert len(await resumed.wait_for(1)) == 1
        await resumed.close()


@pytest.mark.redis
async def test_delivery_survives_redis_down_at_commit_and_restarts(
    incidents: Subgraph,
    owner_sessions: Sessions,
    database_url: str,
    tenant_id: uuid.UUID,
    private_redis: RedisServer,
) -> None:
    link = RedisLink(private_redis.url, timeout=1, cool_down=0.05)
    bus = RedisBus(link, max_backoff=0.2)
    try:
        async with running(owner_sessions, database_url, bus) as hub:
            collector = Collector(hub, tenant_id)
            await incidents.ok(CREATE)
            await collector.wait_for(1)

            private_redis.stop()
            created: Any = await incidents.ok(CREATE)  # commits while Redis is down
            private_redis.start()
            second = (await collector.wait_for(2))[1]
            assert str(second.entity_id) == created["createIncident"]["id"]

            # Subscribed again after the restart: new events keep arriving live.
            await incidents.ok(CREATE)
            await collector.wait_for(3)
            assert len({e.seq for e in collector.events}) == 3
            await collector.close()
    finally:
        await bus.close()
        await link.close()


async def test_observers_see_every_tenants_events_once_despite_a_failing_one(
    owner_sessions: Sessions, database_url: str, tenant_id: uuid.UUID
) -> None:
    bus = InProcessBus()
    async with running(owner_sessions, database_url, bus, relay=False) as hub:
        hub.catch_up_interval = 3600
        seen: list[int] = []

        def failing(event: Event) -> None:
            raise RuntimeError("an observer's bug")

        hub.observe(failing)  # logged; neither the next observer nor streams miss a thing
        hub.observe(lambda event: seen.append(event.seq))
        collector = Collector(hub, tenant_id)
        mine = await stamped_events(owner_sessions, tenant_id, 2)
        theirs = await stamped_events(owner_sessions, uuid.uuid4(), 1)
        await bus.publish(EVENTS_CHANNEL, encode_event(theirs[0]))  # the rest is a gap
        await bus.publish(EVENTS_CHANNEL, encode_event(mine[0]))  # a repeat
        assert [e.seq for e in await collector.wait_for(2)] == [r.seq for r in mine]
        assert seen == [r.seq for r in (*mine, *theirs)]
        await collector.close()
