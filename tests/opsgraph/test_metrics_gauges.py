"""The gauges read when /metrics is scraped (opsgraph/metrics/gauges.py), against a database
of their own where no relay runs: the outbox backlog and the relay's lag, an event
consumer's lag, and the pool's connections in use and requests waiting for one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import consumer_positions
from db.engine import create_engine, session_factory
from db.outbox import claim_for_publishing, record_event, stamp_committed
from db.roles import app_database_url
from db.scope import RequestDatabase, waiting_for_connections
from db.tenants import create_tenant
from opsgraph.metrics.gauges import ProcessGauges
from resolvers.consumers import EventConsumer
from resolvers.events import Event
from tests.conftest import fresh_database

Sessions = async_sessionmaker[AsyncSession]
SOURCE = "probes"  # no real domain writes events of this domain


async def ignore(session: AsyncSession, event: Event) -> None:
    """A consumer that never runs here: only its lag is read."""


async def add_events(owner: Sessions, tenant_id: uuid.UUID, count: int) -> None:
    for n in range(count):
        async with owner() as session, session.begin():
            record_event(
                session,
                tenant_id=tenant_id,
                domain=SOURCE,
                kind="probe.pinged",
                entity_type="Probe",
                entity_id=uuid.uuid4(),
                payload={"n": n},
            )


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.fixture(scope="module")
def database(server_url: str) -> Iterator[str]:
    yield from fresh_database(server_url, "opsgraph_gauges")


@pytest.fixture
async def owner(database: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database, pool_size=2, max_overflow=2)
    yield session_factory(engine)
    await engine.dispose()


async def test_outbox_backlog_relay_lag_and_consumer_lag(owner: Sessions) -> None:
    consumer = EventConsumer(
        name=f"metrics.{uuid.uuid4().hex[:8]}", domains=frozenset({SOURCE}), handle=ignore
    )
    async with owner() as session, session.begin():
        tenant = await create_tenant(session, f"g-{uuid.uuid4().hex[:8]}", "Gauges")
        await consumer_positions.register(
            session, consumer.name, consumer.domains, from_oldest=False
        )
    gauges = ProcessGauges(owner_sessions=lambda: owner, consumers=[consumer])
    await add_events(owner, tenant, 3)
    async with owner() as session, session.begin():
        await stamp_committed(session, 100)  # what the relay does first

    await gauges.sample()

    assert gauge("opsgraph_outbox_backlog") == 3
    assert (gauge("opsgraph_outbox_relay_lag_seconds") or 0) > 0
    assert gauge("opsgraph_event_consumer_lag_events", consumer=consumer.name) == 3
    assert (gauge("opsgraph_event_consumer_lag_seconds", consumer=consumer.name) or 0) > 0
    assert gauge("opsgraph_event_consumer_consecutive_failures", consumer=consumer.name) == 0

    async with owner() as session, session.begin():
        await claim_for_publishing(await session.connection(), 100)  # what the relay does next
    await gauges.sample()

    assert gauge("opsgraph_outbox_backlog") == 0
    assert gauge("opsgraph_outbox_relay_lag_seconds") == 0
    assert gauge("opsgraph_event_consumer_lag_events", consumer=consumer.name) == 3  # not run


async def test_pool_in_use_and_waiting(database: str) -> None:
    engine = create_engine(app_database_url(database), pool_size=1, max_overflow=0)
    sessions = session_factory(engine)
    gauges = ProcessGauges(engine=lambda: engine)
    first = RequestDatabase(sessions, uuid.uuid4())
    second = RequestDatabase(sessions, uuid.uuid4())
    try:
        await first.rows(text("SELECT 1"))  # holds the pool's one connection
        waiting = asyncio.create_task(second.rows(text("SELECT 2")))
        for _ in range(1000):  # until it waits at the pool's gate
            if waiting_for_connections(engine):
                break
            await asyncio.sleep(0.001)
        await gauges.sample()
        assert gauge("opsgraph_db_pool_size") == 1
        assert gauge("opsgraph_db_pool_in_use") == 1
        assert gauge("opsgraph_db_pool_waiting") == 1

        await first.close()
        assert [tuple(row) for row in await waiting] == [(2,)]
        await gauges.sample()
        assert gauge("opsgraph_db_pool_in_use") == 1  # the second request's now
        assert gauge("opsgraph_db_pool_waiting") == 0
    finally:
        await first.close()
        await second.close()
        await engine.dispose()
