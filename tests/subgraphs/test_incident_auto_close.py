"""Auto-close of resolved incidents (auto_close.py, auto_close_job.py) against real PostgreSQL
and the real job queue: the business-day arithmetic, the job queued with the resolution, the
close after N business days with a controlled clock (the handler's `now`; or, for the runners,
the resolution and the job moved back in time, as the reopen-window tests move the
resolution), 0 = never, a reopen making it a no-op, two runners closing once, a restarted
runner still closing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import SET_TENANT
from db.tables import audit, events
from opsgraph.jobs.runner import JobRunners
from resolvers.jobs import Job, RetryAt
from subgraphs.incidents import auto_close, tables
from subgraphs.incidents.auto_close_job import JOB, close_when_due
from tests.support import Subgraph

Sessions = async_sessionmaker[AsyncSession]
CREATE = 'mutation { createIncident(input: {title: "Printer on fire"}) { id } }'
MOVE = """mutation($id: ID!, $input: TransitionIncidentInput!) {
  transitionIncident(id: $id, input: $input) { toStatus } }"""
RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Put it out."}
SETTINGS = """mutation($days: Int!) {
  updateIncidentSettings(input: {autoCloseDays: $days}) { reopenWindowDays autoCloseDays } }"""
READ = "query($id: ID!) { incident(id: $id) { status history { kind } } }"
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


# --- business days (no database) ---


@pytest.mark.parametrize(
    "start,days,expected",
    [
        (FRIDAY, 1, MONDAY),  # the weekend does not count
        (FRIDAY - timedelta(days=1), 2, MONDAY),  # Thursday + 2
        (MONDAY, 5, MONDAY + timedelta(days=7)),
        (FRIDAY + timedelta(days=1), 1, MONDAY),  # Saturday + 1
        (FRIDAY + timedelta(days=2), 1, MONDAY),  # Sunday + 1
        (MONDAY, 7, MONDAY + timedelta(days=9)),  # the default: Monday to next week's Wednesday
    ],
)
def test_business_days(start: datetime, days: int, expected: datetime) -> None:
    assert auto_close.business_days_after(start, days) == expected


# --- helpers ---


async def new_incident(incidents: Subgraph) -> str:
    return str((await incidents.ok(CREATE))["createIncident"]["id"])


async def move(incidents: Subgraph, id: str, **input: Any) -> None:
    await incidents.ok(MOVE, id=id, input=input)


async def resolved(incidents: Subgraph) -> str:
    id = await new_incident(incidents)
    await move(incidents, id, **RESOLVE)
    return id


async def queued(owner_sessions: Sessions, id: str) -> list[Any]:
    """The auto-close jobs of the incident: (id, status, scheduled_at, payload)."""
    async with owner_sessions() as session:
        rows = await session.execute(
            text(
                "SELECT id, status::text AS status, scheduled_at, args->'payload' AS payload "
                "FROM jobs.procrastinate_jobs WHERE queue_name = :q "
                "AND args->'payload'->>'incident_id' = :id ORDER BY id"
            ),
            {"q": auto_close.KIND, "id": id},
        )
        return list(rows)


async def resolution_back(owner_sessions: Sessions, id: str, to: datetime | None = None) -> None:
    """Travel: the resolution moves back (to `to`, or 30 days), and its jobs are due now."""
    row = tables.Incident
    async with owner_sessions() as session, session.begin():
        await session.execute(
            update(row)
            .where(row.id == uuid.UUID(id))
            .values(resolved_at=to or row.resolved_at - timedelta(days=30))
        )
        await session.execute(
            text(
                "UPDATE jobs.procrastinate_jobs SET scheduled_at = now() WHERE queue_name = :q "
                "AND args->'payload'->>'incident_id' = :id AND status = 'todo'"
            ),
            {"q": auto_close.KIND, "id": id},
        )


async def run_job(
    sessions: Sessions, tenant_id: uuid.UUID, job_id: int, payload: dict[str, Any], now: datetime
) -> RetryAt | None:
    """The job's handler, as the runner calls it (its tenant set, one transaction), at `now`."""
    job = Job(job_id, auto_close.KIND, tenant_id, payload, 1, datetime.now(UTC))
    async with sessions() as session, session.begin():
        await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
        return await close_when_due(session, job, now=now)


async def closes(owner_sessions: Sessions, id: str) -> list[Any]:
    """Its history entries that closed it, and its events that did."""
    async with owner_sessions() as session:
        changes = (
            await session.scalars(
                select(tables.IncidentChange.changes).where(
                    tables.IncidentChange.incident_id == uuid.UUID(id),
                    tables.IncidentChange.changes["status"][1].astext == "CLOSED",
                )
            )
        ).all()
        published = (
            await session.scalars(
                select(events.OutboxEvent.payload).where(
                    events.OutboxEvent.entity_id == uuid.UUID(id),
                    events.OutboxEvent.kind == "incident.status_changed",
                    events.OutboxEvent.payload["changes"]["status"][1].astext == "CLOSED",
                )
            )
        ).all()
    return [list(changes), list(published)]


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def status(owner_sessions: Sessions, id: str) -> str:
    async with owner_sessions() as session:
        value = await session.scalar(
            select(tables.Incident.status).where(tables.Incident.id == uuid.UUID(id))
        )
    return str(value)


@pytest.fixture
async def runners(
    database_url: str, sessions: Sessions
) -> AsyncIterator[Callable[[], Awaitable[JobRunners]]]:
    started: list[JobRunners] = []

    async def start() -> JobRunners:
        runner = JobRunners([JOB], poll_interval=0.05, stalled_after=1.0)
        await runner.start(database_url, sessions)
        started.append(runner)
        return runner

    yield start
    for runner in started:
        await runner.stop()


# --- the job queued with the resolution ---


async def test_a_resolution_queues_its_close_at_the_business_days(
    incidents: Subgraph, owner_sessions: Sessions
) -> None:
    id = await resolved(incidents)
    [job] = await queued(owner_sessions, id)
    async with owner_sessions() as session:
        resolved_at = await session.scalar(
            select(tables.Incident.resolved_at).where(tables.Incident.id == uuid.UUID(id))
        )
    assert resolved_at is not None
    assert job.status == "todo"
    assert job.scheduled_at == auto_close.business_days_after(resolved_at, 7)
    assert job.payload == {"incident_id": id, "reopen_count": 0}
    query = "{ incidentSettings { reopenWindowDays autoCloseDays } }"
    assert await incidents.ok(query) == {
        "incidentSettings": {"reopenWindowDays": 7, "autoCloseDays": 7}
    }


async def test_a_dry_run_resolution_queues_nothing(
    incidents: Subgraph, owner_sessions: Sessions
) -> None:
    id = await new_incident(incidents)
    dry = """mutation($id: ID!, $input: TransitionIncidentInput!) {
      transitionIncident(id: $id, input: $input, dryRun: true) { dryRun } }"""
    await incidents.ok(dry, id=id, input=RESOLVE)
    assert await queued(owner_sessions, id) == []


async def test_closes_after_n_business_days_friday_plus_one_is_monday(
    incidents: Subgraph, owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    assert (await incidents.ok(SETTINGS, days=1))["updateIncidentSettings"] == {
        "reopenWindowDays": 7,
        "autoCloseDays": 1,
    }
    id = await resolved(incidents)
    [job] = await queued(owner_sessions, id)
    await resolution_back(owner_sessions, id, to=FRIDAY)
    # Sunday night: not yet; the job comes back on Monday at the resolution's time.
    sunday = MONDAY - timedelta(minutes=1)
    assert await run_job(sessions, tenant_id, job.id, job.payload, sunday) == RetryAt(MONDAY)
    assert await status(owner_sessions, id) == "RESOLVED"
    assert await run_job(sessions, tenant_id, job.id, job.payload, MONDAY) is None
    answer = await incidents.ok(READ, id=id)
    assert answer["incident"]["status"] == "CLOSED"
    assert answer["incident"]["history"][-1] == {"kind": "STATUS_CHANGED"}
    async with owner_sessions() as session:
        entry = (
            await session.execute(
                select(audit.AuditEntry).where(
                    audit.AuditEntry.tenant_id == tenant_id,
                    audit.AuditEntry.entity_id == uuid.UUID(id),
                    audit.AuditEntry.operation == auto_close.KIND,
                )
            )
        ).scalar_one()
        actor = await session.scalar(
            select(tables.IncidentChange.actor_id)
            .where(tables.IncidentChange.incident_id == uuid.UUID(id))
            .order_by(tables.IncidentChange.created_at.desc(), tables.IncidentChange.id.desc())
            .limit(1)
        )
    assert (entry.actor_id, entry.after["status"], entry.request_id) == (
        None,
        "CLOSED",
        f"job:{job.id}",
    )
    assert actor is None  # the system
    [changes, published] = await closes(owner_sessions, id)
    assert len(changes) == 1 and len(published) == 1
    # Run again (a worker that died before the queue heard of the close): nothing more.
    assert await run_job(sessions, tenant_id, job.id, job.payload, MONDAY) is None
    assert [len(found) for found in await closes(owner_sessions, id)] == [1, 1]


async def test_zero_days_is_never(
    incidents: Subgraph, owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    id = await resolved(incidents)  # queued while the setting was 7
    [job] = await queued(owner_sessions, id)
    await incidents.ok(SETTINGS, days=0)
    later = await resolved(incidents)
    assert await queued(owner_sessions, later) == []  # nothing queued while it is 0
    far = datetime.now(UTC) + timedelta(days=3650)
    assert await run_job(sessions, tenant_id, job.id, job.payload, far) is None
    assert await status(owner_sessions, id) == "RESOLVED"


async def test_a_reopened_incident_is_not_closed_by_its_earlier_resolution(
    incidents: Subgraph, owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    id = await resolved(incidents)
    await move(incidents, id, status="IN_PROGRESS")
    far = datetime.now(UTC) + timedelta(days=3650)
    [first] = await queued(owner_sessions, id)
    assert await run_job(sessions, tenant_id, first.id, first.payload, far) is None
    assert await status(owner_sessions, id) == "IN_PROGRESS"
    # Resolved again: the first job still does nothing; the second resolution's closes.
    await move(incidents, id, **RESOLVE)
    first, second = await queued(owner_sessions, id)
    assert second.payload == {"incident_id": id, "reopen_count": 1}
    assert await run_job(sessions, tenant_id, first.id, first.payload, far) is None
    assert await status(owner_sessions, id) == "RESOLVED"
    assert await run_job(sessions, tenant_id, second.id, second.payload, far) is None
    assert await status(owner_sessions, id) == "CLOSED"


async def test_two_runners_close_each_incident_once(
    incidents: Subgraph, owner_sessions: Sessions, runners: Any
) -> None:
    ids = [await resolved(incidents) for _ in range(6)]
    for id in ids:
        await resolution_back(owner_sessions, id)
    await asyncio.gather(runners(), runners())

    async def all_closed() -> bool:
        return all([await status(owner_sessions, id) == "CLOSED" for id in ids])

    await until(all_closed)
    await asyncio.sleep(0.2)  # a second close would show up meanwhile
    for id in ids:
        assert [len(found) for found in await closes(owner_sessions, id)] == [1, 1]
        assert [job.status for job in await queued(owner_sessions, id)] == ["succeeded"]


async def test_a_restarted_runner_still_closes(
    incidents: Subgraph, owner_sessions: Sessions, runners: Any
) -> None:
    id = await resolved(incidents)
    first = await runners()
    await first.stop()  # the process restarts before the job is due
    await resolution_back(owner_sessions, id)
    assert [job.status for job in await queued(owner_sessions, id)] == ["todo"]
    await runners()

    async def closed() -> bool:
        return await status(owner_sessions, id) == "CLOSED"

    await until(closed)
    assert [len(found) for found in await closes(owner_sessions, id)] == [1, 1]


async def test_settings_out_of_range_are_refused(incidents: Subgraph) -> None:
    for days in (-1, 366):
        result = await incidents.run(SETTINGS, days=days)
        [error] = result["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "autoCloseDays"}
    result = await incidents.run("mutation { updateIncidentSettings(input: {}) { autoCloseDays } }")
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await incidents.ok("{ incidentSettings { autoCloseDays } }")) == {
        "incidentSettings": {"autoCloseDays": 7}
    }


async def test_a_major_incident_never_closes_by_itself(
    incidents: Subgraph, owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    id = await resolved(incidents)
    [job] = await queued(owner_sessions, id)
    await incidents.ok(
        'mutation($id: ID!) { proposeMajorIncident(id: $id, reason: "Site down") { id } }', id=id
    )
    await incidents.ok("mutation($id: ID!) { acceptMajorIncident(id: $id) { major } }", id=id)
    far = datetime.now(UTC) + timedelta(days=3650)
    assert await run_job(sessions, tenant_id, job.id, job.payload, far) is None
    assert await status(owner_sessions, id) == "RESOLVED"


async def test_a_parent_with_open_children_is_looked_at_again_a_day_later(
    incidents: Subgraph, owner_sessions: Sessions, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    parent = await new_incident(incidents)
    child = await new_incident(incidents)
    await incidents.ok(
        "mutation($id: ID!, $parent: ID!) { setIncidentParent(id: $id, parentId: $parent) { id } }",
        id=child,
        parent=parent,
    )
    await move(incidents, parent, **RESOLVE)  # the child follows to RESOLVED...
    await move(incidents, child, status="IN_PROGRESS")  # ...and is reopened
    [job] = await queued(owner_sessions, parent)
    far = datetime.now(UTC) + timedelta(days=3650)
    again = await run_job(sessions, tenant_id, job.id, job.payload, far)
    assert again == RetryAt(far + timedelta(days=1))
    assert await status(owner_sessions, parent) == "RESOLVED"
