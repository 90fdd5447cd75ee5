"""Running the job kinds a process serves (declared by domains, resolvers/jobs.py) on
procrastinate's worker (db/jobs.py says why that library).

One procrastinate worker per process, listening on the queues of its kinds (a kind's queue is
its name, so a process never takes a job of a domain it does not serve). The worker connects
as the owner (it crosses tenants); each job runs in a transaction of its own as the
application role with the job's tenant set, its handler called, one commit. A handler that
returns `RetryAt` has its writes committed and the job put back with that time (the retry
decision below); one that raises is rolled back and retried by its kind's
`UnexpectedFailures`, then left FAILED.

A worker that dies mid-job (a killed process) leaves its job `doing`: its heartbeats stop, and
every runner looks for the jobs of workers silent for `stalled_after` seconds and puts them
back (`recover_stalled`), so the job runs again elsewhere: at least once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from procrastinate import retry as procrastinate_retry
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import jobs as queue
from db.failures import is_connection_failure
from db.scope import walled_unit_of_work
from opsgraph.jobs.users import directory_users
from resolvers.jobs import Job, JobKind, RetryAt, UserLookup

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
STOP_TIMEOUT = 10.0


class Reschedule(Exception):
    """The handler asked to run again at `when`; its writes are committed."""

    def __init__(self, when: datetime) -> None:
        super().__init__(f"retry at {when.isoformat()}")
        self.when = when


class RetryDecisions(procrastinate_retry.BaseRetryStrategy):
    """The kind's own time for a `Reschedule`, its `UnexpectedFailures` for anything else."""

    def __init__(self, kind: JobKind) -> None:
        self.kind = kind

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if isinstance(exception, Reschedule):
            return procrastinate.RetryDecision(retry_at=exception.when)
        wait = self.kind.retry.next_wait(job.attempts + 1)
        if wait is None:
            return None
        return procrastinate.RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=wait))


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (any driver) as libpq takes it (psycopg's connection string)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class JobRunners:
    """The worker running the job kinds a process serves, started and stopped with it."""

    def __init__(
        self,
        kinds: Sequence[JobKind],
        *,
        poll_interval: float = 1.0,
        stalled_after: float = 30.0,
        users: UserLookup | None = None,
    ) -> None:
        self.kinds = tuple(kinds)
        self.users = users or directory_users()
        self.poll_interval = poll_interval
        self.stalled_after = stalled_after
        self.app: procrastinate.App | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._app_sessions: Sessions | None = None

    async def start(self, owner_url: str, app_sessions: Sessions) -> None:
        """Run the worker in the background. A database unreachable now delays the worker
        until it is reachable (tried every second), as it does the event consumers."""
        if not self.kinds:
            return
        self._app_sessions = app_sessions
        try:
            await self._open(owner_url)
        except Exception as error:
            log.warning("job queue: cannot reach the database yet (%s); retrying", error)
            self._tasks = [asyncio.create_task(self._open_later(owner_url), name="jobs:open")]
            return
        self._run_worker()

    async def _open_later(self, owner_url: str) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._open(owner_url)
            except Exception:
                continue
            self._run_worker()
            return

    async def _open(self, owner_url: str) -> None:
        concurrency = sum(kind.concurrency for kind in self.kinds)
        connector = queue.SessionConnector(
            conninfo=libpq_url(owner_url),
            kwargs={"options": f"-c search_path={queue.SCHEMA},pg_catalog"},
            min_size=1,
            max_size=concurrency + 3,
            timeout=3.0,
        )
        app = procrastinate.App(connector=connector)
        for kind in self.kinds:
            app.task(
                name=kind.name, queue=kind.name, retry=RetryDecisions(kind), pass_context=True
            )(self._task_of(kind))
        try:
            await app.open_async()
        except BaseException:
            with contextlib.suppress(Exception):
                await app.close_async()
            raise
        self.app = app

    def _run_worker(self) -> None:
        assert self.app is not None
        worker = self.app.run_worker_async(
            queues=[kind.name for kind in self.kinds],
            name="opsgraph",
            concurrency=sum(kind.concurrency for kind in self.kinds),
            wait=True,
            fetch_job_polling_interval=self.poll_interval,
            install_signal_handlers=False,
            listen_notify=True,
            update_heartbeat_interval=max(self.stalled_after / 3, 0.1),
            stalled_worker_timeout=self.stalled_after,
            shutdown_graceful_timeout=STOP_TIMEOUT,
        )
        self._tasks.extend(
            [
                asyncio.create_task(worker, name="jobs:worker"),
                asyncio.create_task(self._recover_periodically(), name="jobs:stalled"),
            ]
        )

    def _task_of(self, kind: JobKind) -> Any:
        async def run(
            context: procrastinate.JobContext,
            tenant_id: str,
            payload: dict[str, Any],
            queued_at: str,
        ) -> None:
            assert self._app_sessions is not None and context.job.id is not None
            job = Job(
                id=context.job.id,
                kind=kind.name,
                tenant_id=uuid.UUID(tenant_id),
                payload=payload,
                attempt=context.job.attempts + 1,
                queued_at=datetime.fromisoformat(queued_at),
                users=self.users,
            )
            async with walled_unit_of_work(self._app_sessions, job.tenant_id) as session:
                outcome = await kind.handle(session, job)
            if isinstance(outcome, RetryAt):
                raise Reschedule(outcome.when)

        run.__name__ = kind.name.replace(".", "_").replace("-", "_")
        return run

    async def recover_stalled(self) -> int:
        """Put back the jobs of workers silent for `stalled_after` seconds; how many."""
        assert self.app is not None
        manager = self.app.job_manager
        recovered = 0
        for kind in self.kinds:
            stalled = await manager.get_stalled_jobs(
                queue=kind.name, seconds_since_heartbeat=self.stalled_after
            )
            for job in stalled:
                log.warning("job %s (%s) was running on a dead worker; retrying", job.id, kind.name)
                await manager.retry_job(job, retry_at=datetime.now(UTC))
                recovered += 1
        return recovered

    async def _recover_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.stalled_after)
            try:
                await self.recover_stalled()
            except Exception as error:
                if not is_connection_failure(error):
                    log.exception("recovering stalled jobs failed")

    async def stop(self) -> None:
        """Let the jobs in flight finish (up to STOP_TIMEOUT), then stop."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, STOP_TIMEOUT + 5)
        self._tasks = []
        if self.app is not None:
            await self.app.close_async()
            self.app = None


def job_runners(kinds: Sequence[JobKind], settings: Any) -> JobRunners:
    """The runners of `kinds` with the process's settings (`job_poll_ms`,
    `job_stalled_seconds`); jobs ask the registry's user directory about users."""
    return JobRunners(
        kinds,
        poll_interval=settings.job_poll_ms / 1000,
        stalled_after=float(settings.job_stalled_seconds),
    )
