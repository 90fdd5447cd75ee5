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
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Result, event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")
SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


class RequestDatabase:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> None:
        self._sessions = sessions
        self.tenant_id = tenant_id
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

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
        row, which plain rows never need (a third of a page's database time in Python)."""
        return await self._serialised(self._core_rows, statement, params)

    async def _core_rows(self, statement: Executable, params: Any) -> Sequence[Any]:
        connection = await self._get_session().connection()  # begins: the tenant is set
        return (await connection.execute(statement, params)).all()

    async def _serialised(
        self, run: Callable[[Executable, Any], Awaitable[T]], statement: Executable, params: Any
    ) -> T:
        if self._owner is not None and self._owner is asyncio.current_task():
            # The mutation running a unit of work already holds the lock.
            return await run(statement, params)
        async with self._lock:
            return await run(statement, params)

    async def scalars(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        return (await self.execute(statement, params)).scalars().all()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction for one mutation: committed once at the end, or rolled back."""
        async with self._lock:
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
        if self._session is not None:
            await self._session.close()
            self._session = None
