"""A consumer killed mid-stream resumes where it stopped: every event's effect exactly once.
The consumer runs in a real process (tests/events/consumer_process.py), SIGKILLed part-way
through a stream of events, then started again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from db import consumer_positions as positions
from db.outbox import stamp_committed
from db.tables import events
from db.tenants import create_tenant
from tests.events.consumer_support import Bookmark, Sessions, add_events, titles
from tests.support import stop_process

EVENTS = 150
DATABASE_PREFIX = "opsgraph_consumer_kill"
ROOT = Path(__file__).resolve().parents[2]


def consumer_process(database: str, name: str, source: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.events.consumer_process", database, name, source],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "started\n"
    return process


async def position(owner: Sessions, name: str) -> int:
    async with owner() as session:
        found = await positions.read_position(session, name)
    return found.seq if found is not None else 0


async def position_and_effects(owner: Sessions, name: str, tenant: uuid.UUID) -> tuple[int, int]:
    """The position and the tenant's bookmarks, read in one statement (one snapshot: a
    transaction the killed process left committing lands in both or neither)."""
    bookmarks = (
        select(func.count())
        .select_from(Bookmark)
        .where(Bookmark.tenant_id == tenant)
        .scalar_subquery()
    )
    query = select(events.ConsumerPosition.last_seq, bookmarks).where(
        events.ConsumerPosition.name == name
    )
    async with owner() as session:
        found, count = (await session.execute(query)).one()
    return int(found), int(count)


async def wait_for_position(owner: Sessions, name: str, reached: int, timeout: float = 60) -> int:
    async with asyncio.timeout(timeout):
        while (current := await position(owner, name)) < reached:
            await asyncio.sleep(0.005)
    return current


async def test_a_consumer_killed_mid_stream_resumes_and_handles_each_event_once(
    database: str, owner: Sessions
) -> None:
    name, source = f"test.kill-{uuid.uuid4().hex[:8]}", f"probe-{uuid.uuid4().hex[:10]}"
    async with owner() as session, session.begin():
        tenant = await create_tenant(session, f"t-{uuid.uuid4().hex[:10]}", "Killed")
        await positions.register(session, name, {source}, from_oldest=False)
    start = await position(owner, name)
    await add_events(owner, tenant, range(EVENTS), source)
    async with owner() as session, session.begin():
        await stamp_committed(session, 10_000)
    async with owner() as session:
        last = await session.scalar(select(func.max(events.OutboxEvent.seq)))
    assert last == start + EVENTS

    first = consumer_process(database, name, source)
    try:
        killed_at = await wait_for_position(owner, name, start + 10)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(30)
    after_kill, effects = await position_and_effects(owner, name, tenant)
    assert start < killed_at <= after_kill < last  # part-way through
    assert effects == after_kill - start  # what committed, committed with its position

    second = consumer_process(database, name, source)
    try:
        await wait_for_position(owner, name, last)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        stop_process(second)

    written = await titles(owner, tenant)
    assert Counter(written) == Counter(str(n) for n in range(EVENTS))  # each exactly once
    assert written == [str(n) for n in range(EVENTS)]  # in order, across the restart
    assert await position(owner, name) == last
