"""The engine's guards against stuck requests and overload."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from db.engine import async_url, create_engine, session_factory
from db.roles import app_database_url
from db.scope import RequestDatabase, connection_gate


async def test_statement_timeout_cancels_long_statements(database_url: str) -> None:
    engine = create_engine(database_url, statement_timeout_ms=200)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "200ms"
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()


# Spelled apart, so that this statement does not count itself.
PREPARED = text(
    "SELECT count(*) FROM pg_prepared_statements "
    "WHERE statement LIKE '%' || 'prepared_' || 'probe%'"
)
PROBE = text("SELECT 41 + :x AS prepared_probe")


@pytest.mark.parametrize("prepared, expected", [(True, 1), (False, 0)])
async def test_prepared_statements_are_reused_unless_turned_off(
    database_url: str, prepared: bool, expected: int
) -> None:
    """On: one statement prepared per connection, then reused. Off (PgBouncer in transaction
    mode): nothing stays prepared on the connection."""
    engine = create_engine(database_url, prepared_statements=prepared)
    try:
        async with engine.connect() as connection:
            for value in (1, 2, 3):
                result = await connection.execute(PROBE, {"x": value})
                assert result.scalar() == 41 + value
            assert (await connection.execute(PREPARED)).scalar() == expected
    finally:
        await engine.dispose()


async def test_requests_take_the_pool_first_come_first_served(database_url: str) -> None:
    """Past the pool's size, request databases wait at its gate in the order they asked and
    hold a connection from their first statement to close(): never more at once than the
    pool holds, none timed out at the pool, each admitted in turn."""
    engine = create_engine(app_database_url(database_url), pool_size=2, max_overflow=1)
    sessions = session_factory(engine)
    tenant = uuid.uuid4()
    holding, most, admitted = 0, 0, []

    async def request(number: int) -> None:
        nonlocal holding, most
        db = RequestDatabase(sessions, tenant)
        try:
            await db.rows(text("SELECT 1"))
            admitted.append(number)
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.02)  # the rest of the request, connection held
            await db.rows(text("SELECT 2"))
            holding -= 1
        finally:
            await db.close()

    try:
        requests = []
        for number in range(12):
            requests.append(asyncio.create_task(request(number)))
            await asyncio.sleep(0)  # each asks in turn
        await asyncio.gather(*requests)
        # In turn: none overtaken by more than the requests being served with it.
        assert sorted(admitted) == list(range(12))
        assert all(abs(position - number) < 3 for position, number in enumerate(admitted))
        assert most == 3
        assert engine.sync_engine.pool.checkedout() == 0  # every connection came back
    finally:
        await engine.dispose()


async def test_an_unbounded_pool_has_no_gate(database_url: str) -> None:
    for options in ({"poolclass": NullPool}, {"max_overflow": -1}):
        engine = create_async_engine(async_url(database_url), **options)  # type: ignore[arg-type]
        try:
            assert connection_gate(session_factory(engine)) is None
        finally:
            await engine.dispose()


MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def with_sslmode(url: str, mode: str) -> str:
    """The URL with `sslmode` added to its query (the embedded server's has one already)."""
    return make_url(url).update_query_dict({"sslmode": mode}).render_as_string(False)


@pytest.mark.parametrize("mode", ["disable", "prefer"])
async def test_libpq_sslmode_in_the_url_reaches_the_driver(database_url: str, mode: str) -> None:
    """`?sslmode=` as libpq and managed databases write it (asyncpg calls it `ssl`)."""
    assert make_url(async_url(with_sslmode(database_url, mode))).query["ssl"] == mode
    engine = create_engine(with_sslmode(database_url, mode))
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_sslmode_require_is_enforced() -> None:
    """`require` never falls back to plain text: over TCP to the machine's PostgreSQL (CI
    machines run one on 127.0.0.1:5432; the embedded server listens on a Unix socket, where
    TLS does not apply), either the connection is encrypted or it is refused."""
    engine = create_engine(with_sslmode(MACHINE_POSTGRES, "require"))
    try:
        async with engine.connect() as connection:
            ssl_on = await connection.scalar(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )
            assert ssl_on is True  # a server with TLS: the connection uses it
    except ConnectionError as refused:
        assert "rejected SSL upgrade" in str(refused)
    finally:
        await engine.dispose()
