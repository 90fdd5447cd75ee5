"""A request's database scope ends cleanly even when the server dropped its connection."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import RequestDatabase


async def test_closing_after_the_server_dropped_the_connection_does_not_raise(
    sessions: async_sessionmaker[AsyncSession],
    owner_sessions: async_sessionmaker[AsyncSession],
) -> None:
    db = RequestDatabase(sessions, uuid.uuid4())
    backend = (await db.rows(text("SELECT pg_backend_pid() AS pid")))[0].pid
    async with owner_sessions() as owner:
        assert await owner.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": backend})
    await db.close()  # the rollback of the open transaction fails: the connection is gone

    again = RequestDatabase(sessions, uuid.uuid4())
    try:  # and the pool hands out a working connection afterwards
        assert (await again.rows(text("SELECT 1 AS one")))[0].one == 1
    finally:
        await again.close()
