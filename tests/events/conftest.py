"""Fixtures of the event consumer tests: per module, a database migrated with the throwaway
`bookmarks` domain (the consumers' effects are its rows), named after the module's
`DATABASE_PREFIX`; the owner's and the application role's sessions on it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from tests.conftest import empty_database
from tests.events.consumer_support import REGISTRY, Sessions, new_tenant


@pytest.fixture(scope="module")
def database(server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    for url in empty_database(server_url, request.module.DATABASE_PREFIX):
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


@pytest.fixture
async def tenant(owner: Sessions) -> uuid.UUID:
    return await new_tenant(owner)


@pytest.fixture
def source() -> str:
    """The test's own source domain: no other test's consumer reads its events."""
    return f"probe-{uuid.uuid4().hex[:10]}"
