"""The database side of one GraphQL request.

A request gets one AsyncSession, opened lazily. DataLoader batches of one request may be
dispatched in the same event-loop tick, but an AsyncSession must not be used concurrently,
so every statement goes through `run()` under a per-request lock. Mutations wrap their
writes in `unit_of_work()`: one transaction, committed once, rolled back on any error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class RequestDatabase:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    def _get_session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessions()
        return self._session

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        """Run one statement on the request's session (serialised with the others)."""
        if self._owner is not None and self._owner is asyncio.current_task():
            # The mutation running a unit of work already holds the lock.
            return await self._get_session().execute(statement, params)
        async with self._lock:
            return await self._get_session().execute(statement, params)

    async def rows(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        return (await self.execute(statement, params)).all()

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
