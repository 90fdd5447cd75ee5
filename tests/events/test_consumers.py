"""The event consumer mechanism (resolvers/consumers.py, opsgraph/events/consumers.py) against
real PostgreSQL: throwaway consumers write one bookmark per event of a test-only source
domain, behind the event's tenant wall."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from db import consumer_positions as positions
from db.outbox import prune_published, stamp_committed
from db.tables import events
from opsgraph.events.consumer_status import (
    ConsumerStatus,
    ReplayRefused,
    consumer_statuses,
    replay,
)
from opsgraph.events.consumers import PASS_OVER_AFTER, ConsumerRunner, HandlerFailed, Outcome
from opsgraph.events.hub import event_from_row
from resolvers.events import Event
from tests.events.consumer_support import (
    Bookmark,
    Sessions,
    add_events,
    bookmark_consumer,
    new_tenant,
    titles,
    write_bookmark,
)

Outbox = events.OutboxEvent

DATABASE_PREFIX = "opsgraph_consumers"


async def position(owner: Sessions, name: str) -> int | None:
    async with owner() as session:
        found = await positions.read_position(session, name)
    return found.seq if found is not None else None


async def latest_seq(owner: Sessions) -> int | None:
    """The latest stamped event's `seq`: where a consumer with nothing left to do stands."""
    async with owner() as session:
        return await session.scalar(select(func.max(Outbox.seq)))


async def stamped(owner: Sessions, source: str) -> list[Outbox]:
    """The source's events, every committed event stamped first (as the relay does)."""
    async with owner() as session, session.begin():
        await stamp_committed(session, 10_000)
    async with owner() as session:
        rows = await session.scalars(
            select(Outbox).where(Outbox.domain == source).order_by(Outbox.seq)
        )
        return list(rows)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Wait until `check()` holds (the timeout only bounds a failing test)."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def test_events_are_handled_once_each_in_seq_order(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app, batch=4)
    await runner.register()
    entities = [uuid.uuid4() for _ in range(3)]
    await add_events(owner, tenant, range(10), source, entity_ids=entities)

    assert await runner.drain() == 10

    assert await titles(owner, tenant) == [str(n) for n in range(10)]
    assert await position(owner, runner.name) == (await stamped(owner, source))[-1].seq
    assert await runner.drain() == 0
    assert len(await titles(owner, tenant)) == 10


async def test_only_its_domains_and_kinds_are_handled_and_the_rest_passed_over(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    other = f"{source}-x"
    runner = ConsumerRunner(
        bookmark_consumer(source, kinds=frozenset({"probe.pinged"})), owner, app
    )
    await runner.register()
    await add_events(owner, tenant, [1], source)
    await add_events(owner, tenant, [2], source, kind="probe.other")
    await add_events(owner, tenant, [3], other)
    await add_events(owner, tenant, [4], source)

    assert await runner.drain() == 2

    assert await titles(owner, tenant) == ["1", "4"]
    assert await position(owner, runner.name) == await latest_seq(owner)


async def test_an_event_delivered_again_changes_nothing(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(3), source)
    delivered = [event_from_row(row) for row in await stamped(owner, source)]
    await runner.drain()

    # The same events handed over again (a replica that read them before the other handled
    # them, a repeated delivery): each is at or before the position, skipped.
    outcomes = [await runner.deliver(event) for event in delivered]

    assert outcomes == [Outcome.SKIPPED] * 3
    assert await titles(owner, tenant) == ["0", "1", "2"]
    assert await position(owner, runner.name) == delivered[-1].seq


async def test_a_batch_read_before_another_runner_handled_it_changes_nothing(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    consumer = bookmark_consumer(source)
    first, second = ConsumerRunner(consumer, owner, app), ConsumerRunner(consumer, owner, app)
    await first.register()
    await add_events(owner, tenant, range(4), source)
    read_by_first = [event_from_row(row) for row in await stamped(owner, source)]

    assert await second.drain() == 4
    assert [await first.deliver(event) for event in read_by_first] == [Outcome.SKIPPED] * 4

    assert await titles(owner, tenant) == ["0", "1", "2", "3"]


async def test_two_runners_of_one_consumer_handle_each_event_exactly_once(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    handled_by: Counter[str] = Counter()

    def handler(runner: str) -> Callable[[AsyncSession, Event], Awaitable[None]]:
        async def handle(session: AsyncSession, event: Event) -> None:
            await write_bookmark(session, event)
            handled_by[runner] += 1
            await asyncio.sleep(0.001)  # hold the position's lock across a switch of tasks

        return handle

    name = f"test.{uuid.uuid4().hex[:12]}"
    runners = [
        ConsumerRunner(
            bookmark_consumer(source, handler(label), name), owner, app, poll_interval=0.01
        )
        for label in ("a", "b")
    ]
    await runners[0].register()
    await add_events(owner, tenant, range(40), source)
    last = (await stamped(owner, source))[-1].seq

    for runner in runners:
        runner.start()
    try:
        await eventually(lambda: _position_is(owner, name, last))
    finally:
        await asyncio.gather(*(runner.stop() for runner in runners))

    assert await titles(owner, tenant) == [str(n) for n in range(40)]
    assert sum(handled_by.values()) == 40


async def _position_is(owner: Sessions, name: str, seq: int) -> bool:
    return await position(owner, name) == seq


async def test_a_failing_handler_is_rolled_back_recorded_and_retried_not_skipped(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    attempts: Counter[int] = Counter()

    async def flaky(session: AsyncSession, event: Event) -> None:
        await write_bookmark(session, event)  # rolled back with the failure
        number = event.payload["n"]
        attempts[number] += 1
        if number == 2 and attempts[number] <= 2:
            raise ValueError("the directory is away")

    runner = ConsumerRunner(bookmark_consumer(source, flaky), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(5), source)
    seqs = [row.seq for row in await stamped(owner, source)]

    with pytest.raises(HandlerFailed) as failed:
        await runner.drain()
    assert failed.value.seq == seqs[2]
    assert await titles(owner, tenant) == ["0", "1"]
    assert await position(owner, runner.name) == seqs[1]
    status = (await consumer_statuses(owner, [runner.consumer]))[0]
    assert (status.error_count, status.consecutive_failures) == (1, 1)
    assert status.last_error == "ValueError: the directory is away"
    assert status.last_error_seq == seqs[2]
    assert status.last_error_at is not None

    with pytest.raises(HandlerFailed):
        await runner.drain()  # not skipped: the same event again
    assert await runner.drain() == 3

    assert await titles(owner, tenant) == ["0", "1", "2", "3", "4"]
    status = (await consumer_statuses(owner, [runner.consumer]))[0]
    assert (status.error_count, status.consecutive_failures) == (2, 0)
    assert status.position == seqs[-1]


async def test_the_running_consumer_retries_a_failing_event_until_it_succeeds(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    attempts: Counter[int] = Counter()

    async def flaky(session: AsyncSession, event: Event) -> None:
        attempts[event.payload["n"]] += 1
        if event.payload["n"] == 1 and attempts[1] <= 3:
            raise RuntimeError("not yet")
        await write_bookmark(session, event)

    runner = ConsumerRunner(
        bookmark_consumer(source, flaky), owner, app, poll_interval=0.01, max_backoff=0.05
    )
    await runner.register()
    await add_events(owner, tenant, range(3), source)
    last = (await stamped(owner, source))[-1].seq

    runner.start()
    try:
        await eventually(lambda: _position_is(owner, runner.name, last))
    finally:
        await runner.stop()

    assert await titles(owner, tenant) == ["0", "1", "2"]
    assert attempts == {0: 1, 1: 4, 2: 1}
    status = (await consumer_statuses(owner, [runner.consumer]))[0]
    assert (status.error_count, status.consecutive_failures) == (3, 0)


async def test_a_handler_sees_and_writes_only_its_events_tenant(
    owner: Sessions, app: Sessions, source: str
) -> None:
    mine, theirs = await new_tenant(owner), await new_tenant(owner)
    async with owner() as session, session.begin():
        session.add(Bookmark(tenant_id=theirs, title="their secret"))
    seen: list[list[str]] = []

    async def look_around(session: AsyncSession, event: Event) -> None:
        seen.append(list(await session.scalars(select(Bookmark.title))))
        await write_bookmark(session, event)

    reader = ConsumerRunner(bookmark_consumer(source, look_around), owner, app)
    await reader.register()
    await add_events(owner, mine, [1], source)

    assert await reader.drain() == 1
    assert seen == [[]]
    assert await titles(owner, mine) == ["1"]

    async def write_across(session: AsyncSession, event: Event) -> None:
        await session.execute(Bookmark.__table__.insert().values(tenant_id=theirs, title="planted"))

    writer = ConsumerRunner(bookmark_consumer(source, write_across), owner, app)
    await writer.register()
    await add_events(owner, mine, [2], source)

    with pytest.raises(HandlerFailed) as failed:
        await writer.drain()
    assert isinstance(failed.value.error, ProgrammingError)
    assert "row-level security" in str(failed.value.error)
    assert await titles(owner, theirs) == ["their secret"]


async def test_stopping_lets_the_event_in_flight_finish(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def gated(session: AsyncSession, event: Event) -> None:
        if event.payload["n"] == 1:
            entered.set()
            await release.wait()
        await write_bookmark(session, event)

    runner = ConsumerRunner(bookmark_consumer(source, gated), owner, app, poll_interval=0.01)
    await runner.register()
    await add_events(owner, tenant, range(4), source)
    seqs = [row.seq for row in await stamped(owner, source)]
    runner.start()
    await asyncio.wait_for(entered.wait(), 30)

    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the event in flight
    release.set()
    await stopping

    assert await titles(owner, tenant) == ["0", "1"]
    assert await position(owner, runner.name) == seqs[1]


async def test_a_new_consumer_starts_after_the_latest_event_unless_it_rebuilds(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    await add_events(owner, tenant, range(3), source)
    await stamped(owner, source)
    reaction = ConsumerRunner(bookmark_consumer(source), owner, app)
    read_model = ConsumerRunner(bookmark_consumer(source, reset=_delete_bookmarks), owner, app)

    assert await reaction.drain() == 0  # what happened before it is not its business
    assert await read_model.drain() == 3  # built from every retained event

    async with owner() as session:
        oldest, latest = (
            await session.execute(select(func.min(Outbox.seq), func.max(Outbox.seq)))
        ).one()
    assert await position(owner, reaction.name) == latest
    assert await position(owner, read_model.name) == latest
    assert oldest >= 1


async def _delete_bookmarks(session: AsyncSession) -> None:
    await session.execute(delete(Bookmark))  # the wall narrows it to one tenant


async def test_replay_resets_the_read_model_of_every_tenant_and_rebuilds_it(
    owner: Sessions, app: Sessions, source: str
) -> None:
    first, second = await new_tenant(owner), await new_tenant(owner)
    resets: list[uuid.UUID] = []

    async def reset(session: AsyncSession) -> None:
        resets.append(
            uuid.UUID(await session.scalar(select(func.current_setting("app.tenant_id"))))
        )
        await _delete_bookmarks(session)

    runner = ConsumerRunner(bookmark_consumer(source, reset=reset), owner, app)
    await add_events(owner, first, [1, 2], source)
    await add_events(owner, second, [3], source)
    await runner.drain()
    assert (await titles(owner, first), await titles(owner, second)) == (["1", "2"], ["3"])

    start = await replay(runner.consumer, owner, app)

    assert await position(owner, runner.name) == start
    assert {first, second} <= set(resets)
    assert (await titles(owner, first), await titles(owner, second)) == ([], [])
    assert await runner.drain() == 3
    assert (await titles(owner, first), await titles(owner, second)) == (["1", "2"], ["3"])


async def test_replay_refuses_a_consumer_without_reset(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, [1], source)
    await runner.drain()
    before = await position(owner, runner.name)

    with pytest.raises(ReplayRefused, match="declares no reset"):
        await replay(runner.consumer, owner, app)

    assert await position(owner, runner.name) == before
    assert await titles(owner, tenant) == ["1"]


async def test_pruning_keeps_the_events_a_consumer_has_not_handled(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    """Only its own domain's: a consumer that is behind does not hold back other domains'
    events (earlier tests' consumers, behind on their domains, hold back none of these)."""
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    other = f"{source}-x"
    await add_events(owner, tenant, range(5), source)
    await add_events(owner, tenant, range(3), other)
    seqs = [row.seq for row in await stamped(owner, source)]
    others = [row.seq for row in await stamped(owner, other)]
    async with owner() as session, session.begin():
        await session.execute(
            update(Outbox)
            .where(Outbox.domain.in_([source, other]))
            .values(published_at=func.now(), created_at=func.now() - timedelta(days=2))
        )
        await session.execute(  # it handled two of the five
            update(events.ConsumerPosition)
            .where(events.ConsumerPosition.name == runner.name)
            .values(last_seq=seqs[1])
        )

    async with owner() as session, session.begin():
        await prune_published(session, datetime.now(UTC) - timedelta(days=1))

    assert [row.seq for row in await stamped(owner, source)] == seqs[2:]
    assert [row.seq for row in await stamped(owner, other)] == others[-1:]  # the latest stays
    assert await runner.drain() == 3
    assert await titles(owner, tenant) == ["2", "3", "4"]


async def test_the_status_shows_the_lag_and_what_was_handled(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    not_started = bookmark_consumer(source)
    await runner.register()
    await add_events(owner, tenant, range(4), source)
    seqs = [row.seq for row in await stamped(owner, source)]
    async with owner() as session, session.begin():
        await session.execute(
            update(Outbox)
            .where(Outbox.seq == seqs[0])
            .values(created_at=func.now() - timedelta(hours=1))
        )

    lagging, waiting = (await consumer_statuses(owner, [runner.consumer, not_started]))[:2]

    assert lagging.position == seqs[0] - 1
    assert lagging.latest_seq >= seqs[-1]
    assert (lagging.lag_events, lagging.last_handled_at) == (4, None)
    assert lagging.lag_seconds >= 3600
    assert (waiting.position, waiting.lag_events, waiting.declared) == (None, 0, True)

    await runner.drain()
    caught_up = (await consumer_statuses(owner, [runner.consumer]))[0]

    assert (caught_up.position, caught_up.lag_events, caught_up.lag_seconds) == (seqs[-1], 0, 0.0)
    assert caught_up.last_handled_at is not None
    assert caught_up.error_count == 0


async def test_the_status_lists_positions_no_domain_declares(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(2), source)
    await stamped(owner, source)

    statuses: dict[str, ConsumerStatus] = {
        status.name: status for status in await consumer_statuses(owner, [])
    }

    undeclared = statuses[runner.name]
    assert not undeclared.declared
    assert undeclared.lag_events >= 2  # every event after its position counts


class Statements:
    """Counts the statements an engine sends while it is attached."""

    def __init__(self, sessions: Sessions) -> None:
        self.engine = sessions.kw["bind"].sync_engine
        self.sent: list[str] = []

    def __enter__(self) -> Statements:
        sa_event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_: object) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, connection: object, cursor: object, statement: str, *_: object) -> None:
        self.sent.append(statement)


@pytest.mark.parametrize("others", [5, 100])
async def test_other_domains_events_cost_no_statement_each(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str, others: int
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(others), f"{source}-x")
    await add_events(owner, tenant, [1], source)

    with Statements(owner) as as_owner, Statements(app) as as_app:
        assert await runner.drain() == 1

    # The handled event in three round trips: BEGIN with the tenant wall and the position
    # locked, the handler's insert, the new position (past the others too) with the COMMIT.
    # The others are never read: the owner's statements do not grow with them.
    assert len(as_app.sent) == 3
    assert "FOR UPDATE" in as_app.sent[0] and "last_seq =" in as_app.sent[-1]
    assert len(as_owner.sent) == 3  # stamp (lock, stamp); position, latest and events at once
    assert await position(owner, runner.name) == await latest_seq(owner)


async def test_a_round_woken_by_an_event_reads_in_one_statement_and_writes_nothing_else(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, [1], f"{source}-x")
    await add_events(owner, tenant, [2], source)
    await add_events(owner, tenant, [3], f"{source}-x")
    await stamped(owner, source)  # as the relay does before the hub delivers them

    with Statements(owner) as as_owner, Statements(app) as as_app:
        assert await runner.drain(woken=True) == 1
    # One statement to read; the handled event's transaction as in any round.
    assert (len(as_owner.sent), len(as_app.sent)) == (1, 3)
    handled = await position(owner, runner.name)

    await add_events(owner, tenant, [4, 5], f"{source}-x")
    await stamped(owner, source)
    with Statements(owner) as as_owner, Statements(app) as as_app:
        assert await runner.drain(woken=True) == 0
    # Nothing of its own: nothing written, the position left behind the others' events.
    assert (len(as_owner.sent), len(as_app.sent)) == (1, 0)
    assert await position(owner, runner.name) == handled

    assert await runner.drain() == 0  # a round of the poll timer passes over them
    assert await position(owner, runner.name) == await latest_seq(owner)


async def test_a_woken_round_far_behind_other_events_passes_over_them(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, range(PASS_OVER_AFTER), f"{source}-x")
    await stamped(owner, source)

    assert await runner.drain(woken=True) == 0

    assert await position(owner, runner.name) == await latest_seq(owner)


async def test_a_woken_round_does_not_stamp_but_never_skips_what_it_left_unstamped(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source), owner, app)
    await runner.register()
    await add_events(owner, tenant, [1], source)

    # Unstamped, the event is not the hub's to deliver yet: a woken round leaves it alone.
    assert await runner.drain(woken=True) == 0
    assert await runner.drain() == 1  # the poll timer's round stamps and handles it
    assert await titles(owner, tenant) == ["1"]


class CountedRounds(ConsumerRunner):
    """A runner that counts its rounds (and which of them an event woke)."""

    rounds: list[bool]

    async def drain(self, *, woken: bool = False) -> int:
        self.rounds = [*getattr(self, "rounds", []), woken]
        return await super().drain(woken=woken)


async def test_events_following_the_one_that_woke_a_round_go_in_that_round(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = CountedRounds(bookmark_consumer(source), owner, app, poll_interval=60, gather=0.5)
    await runner.register()
    runner.start()
    try:
        await eventually(lambda: asyncio.sleep(0, bool(getattr(runner, "rounds", []))))
        for n in range(4):  # committed and delivered one after the other, as mutations are
            await add_events(owner, tenant, [n], source)
            latest = (await stamped(owner, source))[-1]
            runner.wake(event_from_row(latest))
        await eventually(lambda: _position_is(owner, runner.name, latest.seq))
    finally:
        await runner.stop()

    assert await titles(owner, tenant) == ["0", "1", "2", "3"]
    assert runner.rounds == [False, True]  # the first round at start, then one woken round


async def test_only_events_of_its_kinds_wake_a_consumer(owner: Sessions, app: Sessions) -> None:
    runner = ConsumerRunner(
        bookmark_consumer("probe", kinds=frozenset({"probe.pinged"})), owner, app
    )
    every_kind = ConsumerRunner(bookmark_consumer("probe"), owner, app)
    other = Event(
        seq=1,
        tenant_id=uuid.uuid4(),
        kind="probe.other",
        entity_type="Probe",
        entity_id=uuid.uuid4(),
        payload={},
        occurred_at=datetime.now(UTC),
    )

    runner.wake(other)
    every_kind.wake(other)
    assert (runner._wake.is_set(), every_kind._wake.is_set()) == (False, True)
    runner.wake(replace(other, kind="probe.pinged"))
    assert runner._wake.is_set()


async def test_a_round_read_before_a_replay_neither_handles_nor_passes_over(
    owner: Sessions, app: Sessions, tenant: uuid.UUID, source: str
) -> None:
    runner = ConsumerRunner(bookmark_consumer(source, reset=_delete_bookmarks), owner, app)
    await runner.register()
    await add_events(owner, tenant, [1, 2], source)
    await runner.drain()
    await add_events(owner, tenant, [3], source)
    async with owner() as session:
        read = await positions.read_position(session, runner.name)
    assert read is not None
    late = event_from_row((await stamped(owner, source))[-1])

    start = await replay(runner.consumer, owner, app)  # while a round had read `late`

    assert await runner.deliver(late, read) is Outcome.STALE
    async with owner() as session, session.begin():
        await positions.pass_over(session, runner.name, late.seq, read)
    assert await position(owner, runner.name) == start
    assert await titles(owner, tenant) == []
    assert await runner.drain() == 3  # the round reads again, from the rebuilt position
    assert await titles(owner, tenant) == ["1", "2", "3"]
    status = (await consumer_statuses(owner, [runner.consumer]))[0]
    assert status.rebuilds == 1
