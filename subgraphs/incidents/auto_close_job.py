"""The `incidents.auto_close` job (auto_close.py says when it is queued and what it checks).

It closes through the lifecycle's transition code (transitions.py), as the system (no actor):
the incident's history entry, its `incident.status_changed` event and an audit entry naming the
job. The incident's row is locked and its state checked first, so a job run twice (a worker
that died after closing and before the queue heard of it) closes it once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.audit import AuditRecord, insert_entry
from resolvers.errors import Conflict, NotFound
from resolvers.jobs import Job, JobKind, RetryAt
from subgraphs.incidents import lifecycle, service, transitions
from subgraphs.incidents.auto_close import (
    KIND,
    auto_close_days,
    auto_close_exempt,
    business_days_after,
)
from subgraphs.incidents.enums import IncidentStatus


async def close_when_due(
    session: AsyncSession, job: Job, *, now: datetime | None = None
) -> RetryAt | None:
    """Close the job's incident if it is still the resolution the job was queued for and its
    business days have passed by `now` (the database's clock unless given: tests set it);
    run early, come back when they have."""
    try:
        row = await service.get_for_update(
            session, job.tenant_id, uuid.UUID(job.payload["incident_id"])
        )
    except NotFound:
        return None  # deleted (or purged) since
    if auto_close_exempt(row) or row.reopen_count != job.payload["reopen_count"]:
        return None
    days = await auto_close_days(session, job.tenant_id)
    if days == 0 or row.resolved_at is None:
        return None
    due = business_days_after(row.resolved_at, days)
    if now is None:
        now = await session.scalar(select(func.now()))
    assert now is not None
    if now < due:
        return RetryAt(due)
    try:
        async with session.begin_nested():
            done = await transitions.transition_incident(
                session,
                job.tenant_id,
                row.id,
                lifecycle.TransitionRequest(IncidentStatus.CLOSED),
                actor=None,
            )
    except Conflict:
        # A parent with children still open closes only with `force`, which is a person's
        # call: look again a day later.
        return RetryAt(now + timedelta(days=1))
    record = AuditRecord()
    record.entity("Incident", row.id)
    record.changed(done.changes)
    await insert_entry(
        session,
        record,
        tenant_id=job.tenant_id,
        actor_id=None,
        operation=KIND,
        request_id=f"job:{job.id}",
    )
    return None


JOB = JobKind(KIND, close_when_due, concurrency=2)
