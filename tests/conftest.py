"""Real PostgreSQL for every test: DATABASE_URL when set, else one embedded cluster for the run.

Each run migrates a fresh database; each test gets a tenant of its own, so tests never see
each other's rows and no cleanup between tests is needed.

Two roles, as in the server: request contexts (`new_context`, the `identity`/`incidents`
subgraphs, `sessions`, `engine`, `statements`) connect as the application role, so every test
runs behind the tenant walls; fixtures and tests that set data up or count it directly use
`owner_sessions`/`owner_engine`, the migrating owner who crosses tenants."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.embedded import EmbeddedPostgres
from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from resolvers.references import EntityPresence
from subgraphs.identity import schema as identity_schema
from subgraphs.incidents import schema as incidents_schema
from tests.support import PostgresServer, RedisServer, Subgraph

pytest_plugins = [
    "tests.hang_report",
    "tests.long_first",
    "tests.one_tree_check",
    "tests.compiled_check",
]


def _admin_url(url: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server's admin database (embedded unless DATABASE_URL is set)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield _admin_url(configured)
        return
    server = EmbeddedPostgres(Path(tmp_path_factory.mktemp("pg")))
    server.start()
    # A worker's cluster serves every server process its tests start at once (each with its
    # pools): more than the default 100 connections (restart needed to apply).
    admin(server.url("postgres"), "ALTER SYSTEM SET max_connections = 400")
    server.stop()
    server.start()
    yield server.url("postgres")
    server.stop()


def admin(server_url: str, sql: str) -> None:
    """Run one statement on the server's admin database (CREATE/DROP DATABASE)."""

    async def run() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def empty_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create an empty database; drop it when the generator is closed."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create a database migrated to head; drop it when the generator is closed."""
    for url in empty_database(server_url, prefix):
        REGISTRY.migrations.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this run's in-process tests."""
    yield from fresh_database(server_url, "opsgraph_test")


class StatementCounter:
    """Counts SQL statements sent by an engine while `counting` is on."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


class RoundTripCounter:
    """Counts round trips to PostgreSQL on an engine's connections while they are checked
    out: each message batch the driver writes and then waits on (a simple query with all
    its statements, a prepared statement's bind and execute, a prepare). ``sent`` holds the
    text of simple queries and the kind (``"B"`` bind, ``"P"`` parse) of the others."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    @property
    def count(self) -> int:
        return len(self.sent)

    def reset(self) -> None:
        self.sent.clear()

    def _written(self, data: bytes) -> None:
        kind = data[:1].decode()
        self.sent.append(data[5:].rstrip(b"\0").decode() if kind == "Q" else kind)

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        # asyncpg writes each batch with one call of its socket transport's write().
        transport = dbapi_connection.driver_connection._transport
        write = type(transport).write

        def counted(data: Any) -> None:
            self._written(bytes(data))
            write(transport, data)

        transport.write = counted

    def _checkin(self, dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            vars(dbapi_connection.driver_connection._transport).pop("write", None)


@contextlib.contextmanager
def round_trips(engine: AsyncEngine) -> Iterator[RoundTripCounter]:
    """Count the round trips of connections checked out of ``engine`` meanwhile."""
    counter = RoundTripCounter()
    event.listen(engine.sync_engine, "checkout", counter._checkout)
    event.listen(engine.sync_engine, "checkin", counter._checkin)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "checkout", counter._checkout)
        event.remove(engine.sync_engine, "checkin", counter._checkin)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The application role's engine (what requests use)."""
    engine = create_engine(app_database_url(database_url), pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def owner_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The owner's engine: setting data up and checking it across tenants."""
    engine = create_engine(database_url, pool_size=2, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine.sync_engine, "before_cursor_execute", counter)


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def one_connection(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """App-role sessions over a pool of exactly one connection, reused by every request (so
    its prepared statements too)."""
    engine = create_engine(app_database_url(database_url), pool_size=1, max_overflow=0)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def owner_sessions(owner_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(owner_engine)


@pytest.fixture
async def tenant_id(owner_sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with owner_sessions() as session, session.begin():
        slug = f"t-{uuid.uuid4().hex[:10]}"
        return await create_tenant(session, slug, f"Tenant {slug}")


@pytest.fixture(scope="session")
def entity_presence() -> EntityPresence:
    """What the router process injects into request contexts: which ids name another
    subgraph's entities, asked of the owner through the in-process gateway."""
    return build_gateway().entity_presence


@pytest.fixture
async def new_context(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    entity_presence: EntityPresence,
) -> AsyncIterator[Any]:
    """Factory of request contexts for the test's tenant (each one is a separate request),
    as the router process builds them."""
    opened: list[Context] = []

    def make(tenant: uuid.UUID | None = None) -> Context:
        context = Context.open(
            sessions,
            principal=REGISTRY.roles.principal(tenant or tenant_id, frozenset({"admin"})),
            entity_presence=entity_presence,
        )
        opened.append(context)
        return context

    yield make
    for context in opened:
        await context.close()


@pytest.fixture
async def as_roles(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    entity_presence: EntityPresence,
) -> AsyncIterator[Callable[..., Context]]:
    """Factory of request contexts for the test's tenant whose principal holds `roles`
    (built-in, or the tenant's own given in `custom`) and nothing more, authenticated, as
    `user` if given; closed after the test, as the server closes a request's (an open one
    holds a pool connection)."""
    opened: list[Context] = []

    def make(
        *roles: str,
        user: uuid.UUID | None = None,
        custom: dict[str, frozenset[str]] | None = None,
    ) -> Context:
        principal = REGISTRY.roles.principal(
            tenant_id, frozenset(roles), user_id=user, authenticated=True, custom_roles=custom
        )
        context = Context.open(sessions, principal=principal, entity_presence=entity_presence)
        opened.append(context)
        return context

    yield make
    for context in opened:
        await context.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when set; else a private redis-server from PATH on a free loopback port."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    server = RedisServer.on_free_port()
    yield server.url
    server.stop()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop and start again."""
    server = RedisServer.on_free_port()
    yield server
    server.stop()


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    """An embedded PostgreSQL of the test's own, which the test may stop and start again."""
    server = PostgresServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def private_database(private_postgres: PostgresServer) -> Iterator[str]:
    """A migrated database on the test's own PostgreSQL (dropped with the cluster)."""
    yield from fresh_database(private_postgres.admin_url, "opsgraph_private")


@pytest.fixture
def identity(new_context: Any) -> Subgraph:
    return Subgraph(identity_schema, new_context)


@pytest.fixture
def incidents(new_context: Any) -> Subgraph:
    return Subgraph(incidents_schema, new_context)
