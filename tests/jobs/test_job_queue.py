"""The durable job queue (resolvers/jobs.py, opsgraph/jobs/runner.py) against real
PostgreSQL: jobs queued in the caller's transaction, run behind their tenant's wall, exactly
once across two runners, in order per lock (a retry waiting included), a scheduled retry
picked up by a fresh runner after a restart, unexpected failures retried then left FAILED,
a dead worker's job taken back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import SET_TENANT
from db.tenants import create_tenant
from opsgraph.jobs.runner import JobRunners
from opsgraph.jobs.status import queue_statuses
from resolvers.jobs import Job, JobKind, RetryAt, UnexpectedFailures, enqueue
from subgraphs.identity import tables as identity

Sessions = async_sessionmaker[AsyncSession]
POLL = 0.05


def kind(
    handle: Callable[[AsyncSession, Job], Awaitable[RetryAt | None]], **options: Any
) -> JobKind:
    return JobKind(f"test.{uuid.uuid4().hex[:12]}", handle, **options)


async def queue(
    sessions: Sessions,
    job_kind: JobKind,
    tenant: uuid.UUID,
    *payloads: dict[str, Any],
    lock: str | None = None,
) -> list[int]:
    async with sessions() as session, session.begin():
        await session.execute(SET_TENANT, {"tenant": str(tenant)})
        return [
            await enqueue(session, job_kind, tenant, payload, lock=lock) for payload in payloads
        ]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def statuses(owner: Sessions, job_kind: JobKind) -> list[str]:
    async with owner() as session:
        rows = await session.execute(
            text(
                "SELECT status::text FROM jobs.procrastinate_jobs WHERE queue_name = :q ORDER BY id"
            ),
            {"q": job_kind.name},
        )
        return [row[0] for row in rows]


@pytest.fixture
async def runners(
    database_url: str, sessions: Sessions
) -> AsyncIterator[Callable[..., Awaitable[JobRunners]]]:
    started: list[JobRunners] = []

    async def start(*kinds: JobKind) -> JobRunners:
        runner = JobRunners(kinds, poll_interval=POLL, stalled_after=1.0)
        await runner.start(database_url, sessions)
        started.append(runner)
        return runner

    yield start
    for runner in started:
        await runner.stop()


async def test_runs_behind_the_tenant_wall(
    owner_sessions: Sessions, sessions: Sessions, runners: Any
) -> None:
    tenants = []
    async with owner_sessions() as session, session.begin():
        for name in ("a", "b"):
            tenant = await create_tenant(session, f"{name}-{uuid.uuid4().hex[:8]}", name)
            await session.execute(
                insert(identity.User).values(tenant_id=tenant, name=name, email=f"{name}@x.io")
            )
            tenants.append(tenant)
    seen: dict[str, tuple[str, int]] = {}

    async def handle(session: AsyncSession, job: Job) -> None:
        wall = await session.scalar(text("SELECT current_setting('app.tenant_id', true)"))
        users = await session.scalar(text("SELECT count(*) FROM identity.users"))
        seen[str(job.tenant_id)] = (wall, users)
        return None

    job_kind = kind(handle)
    for tenant in tenants:
        await queue(sessions, job_kind, tenant, {})
    await runners(job_kind)
    await until(lambda: len(seen) == 2)
    assert seen == {str(t): (str(t), 1) for t in tenants}


async def test_a_job_is_queued_only_if_its_transaction_commits(
    owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    job_kind = kind(lambda session, job: asyncio.sleep(0))
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
            await enqueue(session, job_kind, tenant_id, {"n": 1})
            raise RuntimeError("the write failed")
    assert await statuses(owner_sessions, job_kind) == []
    await queue(sessions, job_kind, tenant_id, {"n": 2})
    assert await statuses(owner_sessions, job_kind) == ["todo"]


async def test_exactly_once_with_two_runners(
    owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID, runners: Any
) -> None:
    handled: list[int] = []

    async def handle(session: AsyncSession, job: Job) -> None:
        await asyncio.sleep(0.005)
        handled.append(job.payload["n"])
        return None

    job_kind = kind(handle)
    await queue(sessions, job_kind, tenant_id, *({"n": n} for n in range(60)))
    await asyncio.gather(runners(job_kind), runners(job_kind))
    await until(lambda: len(handled) >= 60)
    await asyncio.sleep(0.2)  # a duplicate would show up meanwhile
    assert sorted(handled) == list(range(60))
    assert await statuses(owner_sessions, job_kind) == ["succeeded"] * 60
    async with owner_sessions() as session:
        by_kind = {s.kind: s for s in await queue_statuses(session, [job_kind.name])}
    status = by_kind[job_kind.name]
    assert (status.depth, status.failed, status.succeeded) == (0, 0, 60)


async def test_in_order_per_lock_a_waiting_retry_included(
    sessions: Sessions, tenant_id: uuid.UUID, runners: Any
) -> None:
    order: list[tuple[int, int]] = []

    async def handle(session: AsyncSession, job: Job) -> RetryAt | None:
        order.append((job.payload["n"], job.attempt))
        if job.payload["n"] == 2 and job.attempt == 1:
            return RetryAt(datetime.now(UTC) + timedelta(seconds=0.3))
        return None

    job_kind = kind(handle, concurrency=4)
    await queue(sessions, job_kind, tenant_id, *({"n": n} for n in range(6)), lock="Incident:1")
    await runners(job_kind)
    await until(lambda: len(order) == 7)
    assert order == [(0, 1), (1, 1), (2, 1), (2, 2), (3, 1), (4, 1), (5, 1)]


async def test_a_scheduled_retry_is_picked_up_by_a_fresh_runner(
    owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID, runners: Any
) -> None:
    attempts: list[int] = []

    async def handle(session: AsyncSession, job: Job) -> RetryAt | None:
        attempts.append(job.attempt)
        if job.attempt == 1:
            return RetryAt(datetime.now(UTC) + timedelta(seconds=0.5))
        return None

    job_kind = kind(handle)
    await queue(sessions, job_kind, tenant_id, {})
    first = await runners(job_kind)
    await until(lambda: attempts == [1])
    await first.stop()  # the process restarts while the job waits for its retry
    assert await statuses(owner_sessions, job_kind) == ["todo"]
    await runners(job_kind)
    await until(lambda: attempts == [1, 2])
    await until(lambda: True)
    await asyncio.sleep(0.1)
    assert await statuses(owner_sessions, job_kind) == ["succeeded"]


async def test_a_failing_handler_is_rolled_back_retried_then_failed(
    owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID, runners: Any
) -> None:
    attempts: list[int] = []

    async def handle(session: AsyncSession, job: Job) -> None:
        attempts.append(job.attempt)
        await session.execute(
            insert(identity.Team).values(tenant_id=job.tenant_id, name=f"t{job.attempt}")
        )
        raise ValueError("broken handler")

    job_kind = kind(handle, retry=UnexpectedFailures(attempts=3, first_wait=0.05))
    await queue(sessions, job_kind, tenant_id, {})
    await runners(job_kind)
    await until(lambda: len(attempts) == 3)
    await asyncio.sleep(0.1)
    assert await statuses(owner_sessions, job_kind) == ["failed"]
    async with owner_sessions() as session:
        teams = await session.scalar(
            text("SELECT count(*) FROM identity.teams WHERE tenant_id = :t"), {"t": tenant_id}
        )
    assert teams == 0  # every attempt's writes rolled back


async def test_a_dead_workers_job_is_taken_back(
    owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID, runners: Any
) -> None:
    handled: list[int] = []

    async def handle(session: AsyncSession, job: Job) -> None:
        handled.append(job.attempt)
        return None

    job_kind = kind(handle)
    (job_id,) = await queue(sessions, job_kind, tenant_id, {})
    async with owner_sessions() as session, session.begin():
        # A worker took the job and died: its heartbeat stopped an hour ago.
        worker = await session.scalar(text("SELECT jobs.procrastinate_register_worker_v1()"))
        await session.execute(
            text(
                "UPDATE jobs.procrastinate_workers "
                "SET last_heartbeat = now() - interval '1 hour' WHERE id = :w"
            ),
            {"w": worker},
        )
        await session.execute(
            text(
                "UPDATE jobs.procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :j"
            ),
            {"w": worker, "j": job_id},
        )
    runner = await runners(job_kind)
    assert await runner.recover_stalled() == 1
    await until(lambda: handled == [2])
