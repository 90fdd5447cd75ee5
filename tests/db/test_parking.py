"""Connections parked between requests (db/parking.py): the next request ends the parked
transaction in the round trip beginning its own, behind its own wall; one nobody takes is
rolled back and returned to the pool; one the server dropped meanwhile is replaced; at the
pool's limit every few go back to the pool (whoever waits there is served)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db import parking as parking_module
from db.engine import create_engine, session_factory
from db.parking import PARK_SECONDS, RETURN_EVERY, park_connections, release_parked
from db.roles import app_database_url
from db.scope import RequestDatabase
from tests.conftest import round_trips

Sessions = async_sessionmaker[AsyncSession]
WHO = text(
    "SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id') AS tenant,"
    " txid_current_if_assigned() AS xid, statement_timestamp() AS at, now() AS began"
)


@pytest.fixture
async def parking_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(app_database_url(database_url), pool_size=2, max_overflow=1)
    park_connections(engine)
    yield engine
    await release_parked(engine)
    await engine.dispose()


async def read(sessions: Sessions, tenant: uuid.UUID, *, snapshot: bool = True) -> Any:
    db = RequestDatabase(sessions, tenant)
    db.snapshot = snapshot
    try:
        return (await db.rows(WHO))[0]
    finally:
        await db.close()


async def state_of(owner_sessions: Sessions, pid: int) -> str:
    async with owner_sessions() as owner:
        state = await owner.scalar(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
    return str(state)


async def test_the_next_request_ends_the_parked_transaction_as_it_begins_its_own(
    parking_engine: AsyncEngine, owner_sessions: Sessions
) -> None:
    sessions = session_factory(parking_engine)
    first, second = uuid.uuid4(), uuid.uuid4()
    with round_trips(parking_engine) as trips:
        before = await read(sessions, first)
        # Parked inside its transaction: no ROLLBACK was sent as the request closed.
        assert await state_of(owner_sessions, before.pid) == "idle in transaction"
        after = await read(sessions, second)
    assert after.pid == before.pid  # the parked connection, taken by the next request
    assert (before.tenant, after.tenant) == (str(first), str(second))
    assert after.began > before.began  # a transaction of its own
    snapshot = " ISOLATION LEVEL REPEATABLE READ READ ONLY"
    # (the first read prepares its statement first: a "P" round trip)
    assert [sent for sent in trips.sent if sent != "P"] == [
        f"BEGIN{snapshot}; SELECT set_config('app.tenant_id', '{first}', true)",
        "B",
        f"ROLLBACK; BEGIN{snapshot}; SELECT set_config('app.tenant_id', '{second}', true)",
        "B",
    ]


async def test_a_connection_nobody_takes_is_rolled_back_and_returned(
    parking_engine: AsyncEngine, owner_sessions: Sessions
) -> None:
    sessions = session_factory(parking_engine)
    pool = parking_engine.sync_engine.pool
    row = await read(sessions, uuid.uuid4())
    assert pool.checkedout() == 1  # type: ignore[attr-defined]
    await asyncio.sleep(PARK_SECONDS * 4)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await state_of(owner_sessions, row.pid) == "idle"


async def test_releasing_returns_what_is_parked_at_once(
    parking_engine: AsyncEngine, owner_sessions: Sessions
) -> None:
    sessions = session_factory(parking_engine)
    pool = parking_engine.sync_engine.pool
    rows = await asyncio.gather(read(sessions, uuid.uuid4()), read(sessions, uuid.uuid4()))
    assert pool.checkedout() == 2  # type: ignore[attr-defined]
    await release_parked(parking_engine)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert {await state_of(owner_sessions, row.pid) for row in rows} == {"idle"}


async def test_a_parked_connection_the_server_dropped_is_replaced(
    parking_engine: AsyncEngine, owner_sessions: Sessions
) -> None:
    sessions = session_factory(parking_engine)
    tenant = uuid.uuid4()
    before = await read(sessions, uuid.uuid4())
    async with owner_sessions() as owner:
        assert await owner.scalar(
            text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": before.pid}
        )
    after = await read(sessions, tenant)
    assert after.pid != before.pid and after.tenant == str(tenant)


async def test_a_unit_of_work_on_a_parked_connection_writes_behind_its_own_wall(
    parking_engine: AsyncEngine,
) -> None:
    sessions = session_factory(parking_engine)
    first, second = uuid.uuid4(), uuid.uuid4()
    before = await read(sessions, first, snapshot=False)
    db = RequestDatabase(sessions, second)
    try:
        async with db.unit_of_work() as session:
            row = (await session.execute(WHO)).one()
            assert await session.scalar(text("SELECT txid_current()"))
    finally:
        await db.close()
    assert row.pid == before.pid and row.tenant == str(second)
    assert row.began > before.began


async def test_at_the_pools_limit_every_few_connections_go_back_to_the_pool(
    parking_engine: AsyncEngine, owner_sessions: Sessions
) -> None:
    sessions = session_factory(parking_engine)
    pool = parking_engine.sync_engine.pool
    holding = [RequestDatabase(sessions, uuid.uuid4()) for _ in range(2)]
    try:
        for db in holding:  # two of the pool's three connections in use
            await db.rows(WHO)
        for _ in range(RETURN_EVERY - 1):  # the third, parked and taken again
            row = await read(sessions, uuid.uuid4())
            assert pool.checkedout() == 3  # type: ignore[attr-defined]
        row = await read(sessions, uuid.uuid4())  # its turn to go back
        assert pool.checkedout() == 2  # type: ignore[attr-defined]
        assert await state_of(owner_sessions, row.pid) == "idle"
        async with parking_engine.connect() as connection:  # as anyone else would
            assert (await connection.execute(text("SELECT pg_backend_pid()"))).scalar() == row.pid
    finally:
        for db in holding:
            await db.close()


async def test_one_waiting_at_the_full_pool_is_served_while_requests_hand_connections_on(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parked connections outlast the requests here (no timer returns them meanwhile): the
    pool's waiter is served by the connection whose turn it is to go back."""
    monkeypatch.setattr(parking_module, "PARK_SECONDS", 30.0)
    engine = create_engine(app_database_url(database_url), pool_size=2, max_overflow=0)
    park_connections(engine)
    sessions = session_factory(engine)
    holding = RequestDatabase(sessions, uuid.uuid4())
    try:
        await holding.rows(WHO)
        await read(sessions, uuid.uuid4())  # parked: the pool is full
        waiter = asyncio.ensure_future(engine.connect().start())
        await asyncio.sleep(0.05)
        assert not waiter.done()
        for _ in range(RETURN_EVERY):
            await read(sessions, uuid.uuid4())
            await asyncio.sleep(0)
            if waiter.done():
                break
        assert waiter.done()
        await (await waiter).close()
    finally:
        await holding.close()
        await release_parked(engine)
        await engine.dispose()
