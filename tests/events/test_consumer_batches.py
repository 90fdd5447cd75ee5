"""Consumers that handle several events a transaction (`per_transaction`, `handle_many`,
issue 21's fan-out under load) against real PostgreSQL: the guarantees of one event a
transaction still hold — each event once, in order, a failing one rolled back alone, recorded
and retried, never skipped — with fewer statements and commits."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from opsgraph.events.consumer_status import consumer_statuses
from opsgraph.events.consumers import ConsumerRunner, HandlerFailed
from resolvers.consumers import EventConsumer
from resolvers.events import Event
from tests.events.consumer_support import (
    Sessions,
    add_events,
    bookmark_consumer,
    new_tenant,
    titles,
    write_bookmark,
)
from tests.events.test_consumers import Statements, position, stamped

DATABASE_PREFIX = "opsgraph_consumer_batches"


def test_a_consumer_handles_at_least_one_event_a_transaction() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        bookmark_consumer("probe", per_transaction=0)


async def test_a_run_of_events_takes_one_transaction_and_handle_many_one_call(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    calls: list[list[int]] = []

    async def write_all(session: AsyncSession, events: Sequence[Event]) -> None:
        calls.append([event.payload["n"] for event in events])
        for event in events:
            await write_bookmark(session, event)

    consumer = bookmark_consumer(source, per_transaction=4, handle_many=write_all)
    runner = ConsumerRunner(consumer, owner, app)
    await runner.register()
    await add_events(owner, tenant, range(10), source)
    last = (await stamped(owner, source))[-1].seq

    with Statements(app) as as_app:
        assert await runner.drain() == 10

    assert calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert await titles(owner, tenant) == [str(n) for n in range(10)]
    assert await position(owner, runner.name) == last
    # Per transaction: BEGIN with the wall and the position locked (where the one before
    # left it), the handler's inserts, the position with the COMMIT.
    assert len(as_app.sent) == 3 * 2 + 10
    assert await runner.drain() == 0  # handled once


async def test_each_tenant_s_events_take_a_transaction_of_their_own(
    owner: Sessions, app: Sessions, source: str
) -> None:
    first, second = await new_tenant(owner), await new_tenant(owner)
    seen: list[tuple[uuid.UUID, int]] = []

    async def write_all(session: AsyncSession, events: Sequence[Event]) -> None:
        seen.append((events[0].tenant_id, len(events)))
        assert {event.tenant_id for event in events} == {events[0].tenant_id}
        for event in events:
            await write_bookmark(session, event)

    consumer = bookmark_consumer(source, per_transaction=50, handle_many=write_all)
    runner = ConsumerRunner(consumer, owner, app)
    await runner.register()
    await add_events(owner, first, [1, 2], source)
    await add_events(owner, second, [3], source)
    await add_events(owner, first, [4, 5], source)

    assert await runner.drain() == 5
    assert seen == [(first, 2), (first, 2)]  # the second's one event went to `handle`
    assert await titles(owner, first) == ["1", "2", "4", "5"]
    assert await titles(owner, second) == ["3"]


async def test_a_failing_event_in_a_run_rolls_back_alone_and_is_retried_not_skipped(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    attempts: Counter[int] = Counter()

    async def flaky(session: AsyncSession, event: Event) -> None:
        await write_bookmark(session, event)  # rolled back with the failure
        attempts[event.payload["n"]] += 1
        if event.payload["n"] == 2 and attempts[2] <= 2:
            raise ValueError("the directory is away")

    runner = ConsumerRunner(bookmark_consumer(source, flaky, per_transaction=10), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(5), source)
    seqs = [row.seq for row in await stamped(owner, source)]

    with pytest.raises(HandlerFailed) as failed:
        await runner.drain()
    assert failed.value.seq == seqs[2]
    assert await titles(owner, tenant) == ["0", "1"]  # the events before it committed
    assert await position(owner, runner.name) == seqs[1]
    status = (await consumer_statuses(owner, [runner.consumer]))[0]
    assert (status.error_count, status.consecutive_failures) == (1, 1)
    assert status.last_error_seq == seqs[2]

    with pytest.raises(HandlerFailed):
        await runner.drain()  # the same event again, first of its run now
    assert await runner.drain() == 3

    assert await titles(owner, tenant) == ["0", "1", "2", "3", "4"]
    assert attempts == {0: 1, 1: 1, 2: 3, 3: 1, 4: 1}
    assert await position(owner, runner.name) == seqs[-1]


async def test_handle_many_that_raises_falls_back_to_one_event_at_a_time(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    async def refuse_the_lot(session: AsyncSession, events: Sequence[Event]) -> None:
        for event in events:
            await write_bookmark(session, event)  # rolled back with the failure
        raise RuntimeError("not all at once")

    async def one(session: AsyncSession, event: Event) -> None:
        if event.payload["n"] == 3:
            raise ValueError("three is bad")
        await write_bookmark(session, event)

    consumer: EventConsumer = bookmark_consumer(
        source, one, per_transaction=10, handle_many=refuse_the_lot
    )
    runner = ConsumerRunner(consumer, owner, app)
    await runner.register()
    await add_events(owner, tenant, range(6), source)
    seqs = [row.seq for row in await stamped(owner, source)]

    with pytest.raises(HandlerFailed) as failed:
        await runner.drain()

    assert failed.value.seq == seqs[3]
    assert await titles(owner, tenant) == ["0", "1", "2"]
    assert await position(owner, runner.name) == seqs[2]


async def test_stopping_ends_a_run_after_the_event_in_flight(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner: ConsumerRunner

    async def stop_at_one(session: AsyncSession, event: Event) -> None:
        await write_bookmark(session, event)
        if event.payload["n"] == 1:
            runner._stopping = True  # as stop() does while an event is in flight

    runner = ConsumerRunner(bookmark_consumer(source, stop_at_one, per_transaction=10), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(4), source)
    seqs = [row.seq for row in await stamped(owner, source)]

    await runner.drain()

    assert await titles(owner, tenant) == ["0", "1"]
    assert await position(owner, runner.name) == seqs[1]
