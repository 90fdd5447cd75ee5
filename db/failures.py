"""Telling a lost database from a failed statement.

A request that fails because PostgreSQL cannot be reached (down, restarting, shutting down,
refusing connections beyond its limit, the connection dropped, the pool exhausted waiting
for it) may succeed if retried once the
database is back: callers answer it with SERVICE_UNAVAILABLE and Retry-After. Anything else
a statement raises (a constraint violation, a cancelled statement, a bug) is not a lost
database and stays an internal error."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc

# The connection failed, or the server is shutting down, recovering from a crash or starting.
_UNREACHABLE = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    # No connection free for us (max_connections, or the role's limit): as passing as the rest.
    asyncpg.exceptions.TooManyConnectionsError,
)
# What asyncpg says when a statement is sent on a connection the server closed.
_CLOSED_MESSAGE = "connection is closed"


def is_connection_failure(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, says the database cannot be reached.

    SQLAlchemy wraps the driver's errors (`__cause__`), so the whole chain is examined."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_connection_failure(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, OSError):  # refused, reset, no socket file, connect timeout
        return True
    if isinstance(error, _UNREACHABLE):
        return True
    return isinstance(error, asyncpg.exceptions.InterfaceError) and _CLOSED_MESSAGE in str(error)
