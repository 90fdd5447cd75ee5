"""The event consumer mechanism (resolvers/consumers.py, opsgraph/events/consumers.py) against
real PostgreSQL: a throwaway consumer writes one bookmark per event of a test-only source
domain, behind the event's tenant wall."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.tables import events
from db.tenants import create_tenant
from opsgraph.events.consumers import ConsumerRunner
from tests.conftest import empty_database
from tests.events.consumer_support import (
    REGISTRY,
    Sessions,
    add_events,
    bookmark_consumer,
    titles,
)


@pytest.fixture(scope="module")
def database(server_url: str) -> Iterator[str]:
    for url in empty_database(server_url, "opsgraph_consumers"):
        REGISTRY.migrations.upgrade(url)
        yield url


@pytest.fixture
async def owner(database: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database, pool_size=2, max_overflow=5)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def app(database: str) -> AsyncIterator[Sessions]:
    engine = create_engine(app_database_url(database), pool_size=2, max_overflow=5)
    yield session_factory(engine)
    await engine.dispose()


async def new_tenant(owner: Sessions) -> uuid.UUID:
    async with owner() as session, session.begin():
        slug = f"t-{uuid.uuid4().hex[:10]}"
        return await create_tenant(session, slug, f"Tenant {slug}")


@pytest.fixture
async def tenant(owner: Sessions) -> uuid.UUID:
    return await new_tenant(owner)


async def position(owner: Sessions, name: str) -> int | None:
    async with owner() as session:
        return await session.scalar(
            select(events.ConsumerPosition.last_seq).where(events.ConsumerPosition.name == name)
        )


async def test_events_are_handled_in_seq_order(
    owner: Sessions, app: Sessions, tenant: uuid.UUID
) -> None:
    runner = ConsumerRunner(bookmark_consumer(), owner, app)
    await runner.register()
    entities = [uuid.uuid4() for _ in range(3)]
    await add_events(owner, tenant, range(10), entity_ids=entities)

    assert await runner.drain() == 10

    assert await titles(owner, tenant) == [str(n) for n in range(10)]
    assert await runner.drain() == 0
