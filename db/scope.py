"""The database side of one GraphQL request.

A request gets one AsyncSession, opened lazily. DataLoader batches of one request may be
dispatched in the same event-loop tick, but an AsyncSession must not be used concurrently,
so every statement goes through `run()` under a per-request lock. Mutations wrap their
writes in `unit_of_work()`: one transaction, committed once, rolled back on any error.

The request's tenant is the wall row-level security enforces (migration 0002): the first
statement of every transaction the session begins, read or unit of work, is
`SELECT set_config('app.tenant_id', <tenant>, true)`. `true` makes it transaction-local, so
it ends with the transaction and never leaks to the next user of the pooled connection (a
session-level SET would)."""

from __future__ import annotations

import asyncio
import collections
import functools
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Result, event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from db.failures import is_connection_failure

T = TypeVar("T")
SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


class RequestDatabase:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> None:
        self._sessions = sessions
        self.tenant_id = tenant_id
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._gate: asyncio.Semaphore | None = None  # held from first statement to close()

    async def _admitted(self) -> None:
        """Wait for a turn at the connection pool (see ``connection_gate``), once."""
        if self._gate is None:
            gate = connection_gate(self._sessions)
            if gate is not None:
                await gate.acquire()
                self._gate = gate

    def _get_session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessions()
            event.listen(self._session.sync_session, "after_begin", self._set_tenant)
        return self._session

    def _set_tenant(
        self, session: Session, transaction: SessionTransaction, connection: Connection
    ) -> None:
        """Runs as the session begins a transaction, before the statement that began it."""
        connection.execute(SET_TENANT, {"tenant": str(self.tenant_id)})

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        """Run one statement on the request's session (serialised with the others)."""
        return await self._serialised(self._get_session().execute, statement, params)

    async def rows(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        """The rows of a Core statement (tables, columns; not mapped entities), executed on
        the session's connection: the ORM's result processing costs a call per column per
        row, which plain rows never need (a third of a page's database time in Python).

        Rows are named tuples: reading a column by name from one costs a fifth of reading
        it from SQLAlchemy's Row, and a page reads thousands (`from_row`, keys, cursors)."""
        return await self._serialised(self._core_rows, statement, params)

    async def _core_rows(self, statement: Executable, params: Any) -> Sequence[Any]:
        connection = await self._get_session().connection()  # begins: the tenant is set
        result = await connection.execute(statement, params)
        make = _row_class(tuple(result.keys()))._make
        return [make(row) for row in result.all()]

    async def _serialised(
        self, run: Callable[[Executable, Any], Awaitable[T]], statement: Executable, params: Any
    ) -> T:
        if self._owner is not None and self._owner is asyncio.current_task():
            # The mutation running a unit of work already holds the lock.
            return await run(statement, params)
        async with self._lock:
            await self._admitted()
            return await run(statement, params)

    async def scalars(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        return (await self.execute(statement, params)).scalars().all()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction for one mutation: committed once at the end, or rolled back."""
        async with self._lock:
            await self._admitted()
            session = self._get_session()
            if session.in_transaction():
                # Close the read-only transaction left by earlier reads of this request so the
                # mutation starts from a fresh snapshot.
                await session.commit()
            self._owner = asyncio.current_task()
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                self._owner = None

    async def close(self) -> None:
        """Release the session and the pool turn. A connection the server dropped cannot be
        rolled back; SQLAlchemy has already invalidated it, so that failure is not the
        caller's (a subscription between two events of a database outage, say)."""
        try:
            session, self._session = self._session, None
            if session is not None:
                try:
                    await session.close()
                except Exception as error:
                    if not is_connection_failure(error):
                        raise
        finally:
            if self._gate is not None:
                self._gate.release()
                self._gate = None


@functools.lru_cache(maxsize=256)
def _row_class(columns: tuple[str, ...]) -> Any:
    """The named tuple for a statement's columns (one per column list)."""
    return collections.namedtuple("Row", columns, rename=True)


# Per connection pool, per event loop: the gate in front of it.
_GATES: weakref.WeakKeyDictionary[
    Any, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
] = weakref.WeakKeyDictionary()


def connection_gate(sessions: async_sessionmaker[AsyncSession]) -> asyncio.Semaphore | None:
    """Admits as many request databases to the engine's pool as it has connections, in the
    order they ask, each until it closes.

    A request holds its connection from its first statement to its end. Past the pool's
    size, requests used to wait in the pool's own queue, where a request arriving just as
    a connection came back could take it before one that had been waiting: under overload
    a few requests waited ten seconds and timed out while the median was 0.3 s (bench,
    64 concurrent clients). asyncio's semaphore is first come, first served.

    None for a pool without a bound (nothing to wait for)."""
    pool = sessions.kw["bind"].sync_engine.pool
    overflow = getattr(pool, "_max_overflow", -1)
    if not hasattr(pool, "size") or overflow < 0:
        return None
    loop = asyncio.get_running_loop()
    per_loop = _GATES.setdefault(pool, weakref.WeakKeyDictionary())
    gate = per_loop.get(loop)
    if gate is None:
        # Its size plus the overflow connections it may open.
        gate = per_loop[loop] = asyncio.Semaphore(max(pool.size() + overflow, 1))
    return gate
