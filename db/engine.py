"""One async engine per process, on asyncpg, with a bounded pool."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def async_url(url: str) -> str:
    """Normalise `postgres://` / `postgresql://` URLs to the asyncpg dialect."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 5,
    statement_timeout_ms: int | None = None,
    prepared_statements: bool = True,
) -> AsyncEngine:
    """The process's engine: pre-pinged, bounded, with a timeout when the pool is exhausted.

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
    return create_async_engine(
        target,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=10,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
