"""Scheduled and retried work on the durable job queue: a `JobKind` a domain declares in its
manifest (`Domain.jobs`), queued with `enqueue` in the transaction of the write that needs it,
run by the process that serves the domain (opsgraph/jobs/).

The guarantees, and what a handler must do for them to hold:
- A job is queued in the caller's transaction (`enqueue`): it exists if and only if the write
  that queued it commits. Jobs survive restarts (they are rows); across replicas each job runs
  once at a time (the worker takes it with a row lock, SKIP LOCKED).
- `handle` runs inside an open transaction as the application role with the job's tenant set
  (the tenant wall); it must not commit. What it wrote commits when it returns.
- It returns None when the job is done, or `RetryAt(when)` to be run again at `when` (its
  writes commit first: a webhook's attempt is logged even though it failed).
- A handler that raises has its effects rolled back and is retried by the kind's `retry`
  policy for unexpected failures (`UnexpectedFailures`); after its last attempt the job is
  FAILED and stays in the queue for `opsgraph jobs status`.
- Jobs queued with the same `lock` run one at a time in the order they were queued, a job
  waiting for its retry included (in order per entity).
- Work done on a user's behalf asks `job.users` what that user may do now (the user
  directory's answer, handed over by the runner: a domain reads no other domain's tables)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import jobs as queue

NAME_LENGTH = 100


@dataclass(frozen=True)
class UserAccess:
    """A user as the directory has them now: active or not, and what their roles grant."""

    active: bool
    permissions: frozenset[str]


UserLookup = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[UserAccess | None]]
"""(the job's session, tenant id, user id) → the user's access now, or None when the tenant
has no such user; read in the job's transaction."""


async def no_users(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    raise LookupError("this job runner was given no user directory")


@dataclass(frozen=True)
class Job:
    """One run of a job, as its handler sees it."""

    id: int
    kind: str
    tenant_id: uuid.UUID
    payload: dict[str, Any]
    attempt: int
    """1 for the first run, 2 for the first retry..."""
    queued_at: datetime
    users: UserLookup = no_users
    """What a user may do now (the runner's user directory)."""


@dataclass(frozen=True)
class RetryAt:
    """Run the job again at `when` (the handler's writes commit)."""

    when: datetime


Handler = Callable[[AsyncSession, Job], Awaitable[RetryAt | None]]


@dataclass(frozen=True)
class UnexpectedFailures:
    """How often a handler that raises is tried again: doubling waits from `first_wait`
    seconds, up to `attempts` runs in all."""

    attempts: int = 5
    first_wait: float = 1.0

    def next_wait(self, attempt: int) -> float | None:
        """Seconds before the run after `attempt` (1-based), or None: give up."""
        if attempt >= self.attempts:
            return None
        return self.first_wait * 2 ** (attempt - 1)


@dataclass(frozen=True)
class JobKind:
    name: str
    """Unique across domains, e.g. "webhooks.deliver": the job's task and queue name."""
    handle: Handler
    retry: UnexpectedFailures = UnexpectedFailures()
    concurrency: int = 4
    """How many of its jobs one process runs at once."""

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > NAME_LENGTH:
            raise ValueError(f"a job kind's name has 1 to {NAME_LENGTH} characters: {self.name!r}")


async def enqueue(
    session: AsyncSession,
    kind: JobKind | str,
    tenant_id: uuid.UUID,
    payload: dict[str, Any],
    *,
    lock: str | None = None,
    at: datetime | None = None,
) -> int:
    """Queue a job of `kind` for `tenant_id` in the session's transaction; returns its id.
    `payload` must be JSON; `lock` orders the jobs sharing it; `at` schedules it."""
    return (await enqueue_many(session, kind, [Queued(tenant_id, payload, lock, at)]))[0]


@dataclass(frozen=True)
class Queued:
    """One job of `enqueue_many`: `enqueue`'s arguments."""

    tenant_id: uuid.UUID
    payload: dict[str, Any]
    lock: str | None = None
    at: datetime | None = None


async def enqueue_many(
    session: AsyncSession, kind: JobKind | str, jobs: Sequence[Queued]
) -> list[int]:
    """Queue jobs of `kind` as `enqueue` does one, with one statement, in the order given
    (jobs sharing a lock run in that order); returns their ids in that order."""
    name = kind if isinstance(kind, str) else kind.name
    queued_at = datetime.now(UTC).isoformat()
    return await queue.defer_many(
        session,
        [
            queue.Deferral(
                queue=name,
                task=name,
                args={
                    "tenant_id": str(job.tenant_id),
                    "payload": job.payload,
                    "queued_at": queued_at,
                },
                lock=job.lock,
                scheduled_at=job.at,
            )
            for job in jobs
        ],
    )


def backoff(
    attempt: int,
    *,
    base: float,
    queued_at: datetime,
    give_up_after: float,
    now: datetime | None = None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after failed attempt number `attempt` (1-based): exponential from
    `base` seconds with full jitter in its upper half (base·2^(n-1) · [0.5, 1]), never before
    a `retry_after` the other side asked for, or None once the next attempt would fall more than
    `give_up_after` seconds after `queued_at` (the caller dead-letters the job)."""
    now = now or datetime.now(UTC)
    exponential = base * 2 ** min(attempt - 1, 40)
    wait = exponential * (0.5 + 0.5 * (rng or random).random())
    if retry_after is not None:
        wait = max(wait, retry_after)
    when = now + timedelta(seconds=wait)
    if when > queued_at + timedelta(seconds=give_up_after):
        return None
    return when
