"""The durable job queue's database side: procrastinate's tables and functions in the `jobs`
schema, and deferring a job inside a transaction the application already has open.

Why procrastinate (3.x) rather than pgqueuer: it keeps per-key ordering (`lock`: a job waits
while an earlier job with the same lock is queued or running, retries included), lets a retry
strategy decide the next attempt's time per failure (so an HTTP `Retry-After` can set it),
schedules jobs (`scheduled_at`), records workers' heartbeats so the jobs of a dead worker can
be found and retried, and its defer function can run on an external connection, i.e. in the
caller's transaction. pgqueuer (asyncpg) has no per-key ordering (only a whole entrypoint
serialised) and no per-failure retry time. procrastinate talks psycopg 3 for its worker; our
requests and consumers hold asyncpg connections (SQLAlchemy), so `defer` below runs
procrastinate's own defer query on the asyncpg connection of the open session: the job
commits or rolls back with the caller's writes.

The schema (`install`, run by migration core_0003) is procrastinate's `schema.sql` applied
with `search_path = jobs`; every function then gets `search_path = jobs, pg_catalog` of its own,
so calling one needs nothing of the caller's search path. The worker's connections use
`search_path = jobs` (procrastinate's other queries name tables unqualified). The application
role may only call `procrastinate_defer_jobs_v1`, which runs as its owner (SECURITY DEFINER):
requests and consumers enqueue, nothing else of the queue is theirs."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, LiteralString

from procrastinate import jobs as procrastinate_jobs
from procrastinate import manager, psycopg_connector
from sqlalchemy.ext.asyncio import AsyncSession

SCHEMA = "jobs"
DEFER_FUNCTION = "procrastinate_defer_jobs_v1(procrastinate_job_to_defer_v1[])"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_NAME = re.compile(r"\bprocrastinate_")


def schema_sql() -> str:
    """procrastinate's schema, as its installed version ships it."""
    return (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")


def _to_asyncpg(query: str, arguments: dict[str, Any]) -> tuple[str, list[Any]]:
    """procrastinate's `%(name)s` placeholders as asyncpg's `$n`, its unqualified names
    qualified with our schema, composite values as tuples with JSON text for `jsonb`."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    sql = _NAME.sub(f"{SCHEMA}.procrastinate_", _PLACEHOLDER.sub(number, query))
    return sql, [_value(arguments[name]) for name in names]


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return [_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_value(item) for item in value)
    return value


class SessionConnector(psycopg_connector.PsycopgConnector):
    """procrastinate's psycopg connector (the worker's), which also runs a query on an open
    SQLAlchemy `AsyncSession` (asyncpg) when handed one as the external connection."""

    async def execute_query_all_async_with_connection(
        self, connection: Any, query: LiteralString, **arguments: Any
    ) -> list[dict[str, Any]]:
        if not isinstance(connection, AsyncSession):
            return await super().execute_query_all_async_with_connection(
                connection, query, **arguments
            )
        raw = await (await connection.connection()).get_raw_connection()
        sql, values = _to_asyncpg(query, arguments)
        driver = raw.driver_connection
        assert driver is not None
        rows = await driver.fetch(sql, *values)
        return [dict(row) for row in rows]

    async def execute_query_one_async_with_connection(
        self, connection: Any, query: LiteralString, **arguments: Any
    ) -> dict[str, Any]:
        if not isinstance(connection, AsyncSession):
            return await super().execute_query_one_async_with_connection(
                connection, query, **arguments
            )
        return (await self.execute_query_all_async_with_connection(connection, query, **arguments))[
            0
        ]


_DEFERRER = manager.JobManager(SessionConnector())


@dataclass(frozen=True)
class Deferral:
    """One job to queue (`defer_many`)."""

    queue: str
    task: str
    args: dict[str, Any]
    lock: str | None = None
    scheduled_at: datetime.datetime | None = None


async def defer(
    session: AsyncSession,
    *,
    queue: str,
    task: str,
    args: dict[str, Any],
    lock: str | None = None,
    scheduled_at: datetime.datetime | None = None,
) -> int:
    """Queue a job in the session's open transaction (it commits or rolls back with it);
    returns the job's id."""
    return (await defer_many(session, [Deferral(queue, task, args, lock, scheduled_at)]))[0]


async def defer_many(session: AsyncSession, deferrals: Sequence[Deferral]) -> list[int]:
    """Queue jobs in the session's open transaction with one statement, in the order given
    (jobs sharing a lock run in that order); returns their ids in that order."""
    if not deferrals:
        return []
    jobs = [
        procrastinate_jobs.Job(
            id=None,
            queue=each.queue,
            task_name=each.task,
            priority=0,
            lock=each.lock,
            queueing_lock=None,
            task_kwargs=each.args,
            scheduled_at=each.scheduled_at,
        )
        for each in deferrals
    ]
    deferred = await _DEFERRER.batch_defer_jobs_async(jobs, connection=session)
    ids = [job.id for job in deferred]
    assert all(id is not None for id in ids)
    return [id for id in ids if id is not None]
