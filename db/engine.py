"""One async engine per process, on asyncpg, with a bounded pool."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection


def async_url(url: str) -> str:
    """Normalise `postgres://` / `postgresql://` URLs to the asyncpg dialect.

    libpq's `sslmode` (what operators and managed databases write) becomes asyncpg's `ssl`,
    which takes the same modes (`disable` ... `verify-full`): SQLAlchemy hands the URL's
    query to `asyncpg.connect()` as keywords, and asyncpg has no `sslmode` keyword."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if "sslmode" in parsed.query:
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 5,
    statement_timeout_ms: int | None = None,
    prepared_statements: bool = True,
) -> AsyncEngine:
    """The process's engine: bounded, with a timeout when the pool is exhausted, its
    connections checked as they are checked out (``_check_out``).

    With `statement_timeout_ms`, PostgreSQL cancels any statement (lock waits included) that
    runs longer, and ends sessions left idle inside a transaction for ten times as long, so
    a stuck request can neither run forever nor hold row locks forever.

    Statements are prepared once per connection and reused (asyncpg's statement cache and
    SQLAlchemy's on top of it); `prepared_statements=False` turns both off, for PgBouncer in
    transaction mode, where a prepared statement may be missing on the next transaction's
    server connection."""
    server_settings = (
        {
            "statement_timeout": str(statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(statement_timeout_ms * 10),
        }
        if statement_timeout_ms
        else {}
    )
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    target = make_url(async_url(url))
    if not prepared_statements:
        connect_args["statement_cache_size"] = 0
        # Unique names: a PgBouncer server connection may still hold another's statement.
        connect_args["prepared_statement_name_func"] = lambda: f"__opsgraph_{uuid.uuid4().hex}__"
        target = target.update_query_dict({"prepared_statement_cache_size": "0"})
    engine = create_async_engine(
        target,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=10,
        connect_args=connect_args,
    )
    event.listen(engine.sync_engine, "checkout", _check_out)
    return engine


def _check_out(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    """Replace a pooled connection the server closed, or one returned inside a
    transaction, as it is checked out; no round trip.

    A pre-ping cost every checkout three round trips (asyncpg's adapter pings inside a
    transaction of its own); a restarted or lost server has closed its connections, which
    asyncpg notices as the event loop reads the socket's end. Raising DisconnectionError
    makes the pool connect afresh; InvalidatePoolError also replaces every connection
    pooled before it (they were the dead server's). A connection lost without a word (a
    network partition) fails the BEGIN sent first on it, and the request takes another
    connection (db.scope); one lost mid-request is invalidated and the request answered as
    a lost database (db.failures). A connection checked in
    with a transaction open would carry its tenant's wall to the next request: it is
    replaced, never handed out."""
    driver = dbapi_connection.driver_connection
    if driver.is_closed():
        raise exc.InvalidatePoolError("the server closed the connection")
    if driver.is_in_transaction():
        raise exc.DisconnectionError("a connection was checked in inside a transaction")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
