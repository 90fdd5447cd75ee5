"""One async engine per process, on asyncpg, with a bounded pool."""

from __future__ import annotations

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
) -> AsyncEngine:
    """The process's engine: pre-pinged, bounded, with a timeout when the pool is exhausted.

    With `statement_timeout_ms`, PostgreSQL cancels any statement (lock waits included) that
    runs longer, and ends sessions left idle inside a transaction for ten times as long, so
    a stuck request can neither run forever nor hold row locks forever."""
    server_settings = (
        {
            "statement_timeout": str(statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(statement_timeout_ms * 10),
        }
        if statement_timeout_ms
        else {}
    )
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=10,
        pool_pre_ping=True,
        connect_args={"server_settings": server_settings},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
