"""A running consumer outlives a PostgreSQL restart: it backs off while the database is
unreachable (saying so once) and goes on where it stopped once it is back."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.tenants import create_tenant
from opsgraph.events.consumers import ConsumerRunner
from tests.conftest import empty_database
from tests.events.consumer_support import REGISTRY, add_events, bookmark_consumer, titles
from tests.support import PostgresServer

UNREACHABLE = "cannot reach the database"


@pytest.fixture
def database(private_postgres: PostgresServer) -> Iterator[str]:
    for url in empty_database(private_postgres.admin_url, "opsgraph_consumer_outage"):
        REGISTRY.migrations.upgrade(url)
        yield url


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(60):
        while not await check():
            await asyncio.sleep(0.05)


async def test_a_consumer_resumes_after_postgres_restarts(
    private_postgres: PostgresServer, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    owner_engine = create_engine(database, pool_size=2, max_overflow=0)
    app_engine = create_engine(app_database_url(database), pool_size=2, max_overflow=0)
    owner, app = session_factory(owner_engine), session_factory(app_engine)
    source = f"probe-{uuid.uuid4().hex[:10]}"
    async with owner() as session, session.begin():
        tenant = await create_tenant(session, "outage", "Outage")
    runner = ConsumerRunner(bookmark_consumer(source), owner, app, poll_interval=0.05)
    await runner.register()
    runner.start()
    caplog.set_level(logging.WARNING, logger="opsgraph.events.consumers")

    async def written(count: int) -> bool:
        return len(await titles(owner, tenant)) == count

    async def warned() -> bool:
        return any(UNREACHABLE in record.getMessage() for record in caplog.records)

    try:
        await add_events(owner, tenant, [1, 2], source)
        await eventually(lambda: written(2))

        private_postgres.stop()
        await eventually(warned)
        private_postgres.start()
        await add_events(owner, tenant, [3, 4], source)
        await eventually(lambda: written(4))
        assert await titles(owner, tenant) == ["1", "2", "3", "4"]
    finally:
        await runner.stop()
        await owner_engine.dispose()
        await app_engine.dispose()
    assert sum(UNREACHABLE in record.getMessage() for record in caplog.records) == 1
