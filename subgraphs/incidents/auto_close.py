"""Auto-close: a RESOLVED incident closes by itself after the tenant's number of business days
(`incident_settings.auto_close_days`, default 7, 0 = never).

When an incident is resolved, the write that resolves it queues an `incidents.auto_close` job
(resolvers/jobs.py) in its own transaction, scheduled at the resolution time plus the business
days: the job exists if and only if the resolution commits, survives restarts, and runs once
across replicas. Business days are Monday to Friday in UTC, at the time of day of the
resolution (a Friday 10:00 resolution plus 1 business day is Monday 10:00; a Saturday one,
Monday 10:00 too); public holidays are not counted (there is no business calendar yet: the SLA
domain's will be the place for one).

The job (auto_close_job.py) checks everything again when it runs, so whatever happened since
makes it a no-op: a reopen (the incident is no longer RESOLVED, or was resolved again: its
reopen count moved, and the later resolution queued a job of its own), a deletion, a close by
hand, the setting set to 0. A setting changed in between applies: the job closes when the
resolution is older than the days set now (running early, it puts itself back to that time).
Incidents resolved while the setting was 0 got no job and stay RESOLVED."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput
from resolvers.jobs import enqueue
from subgraphs.incidents import lifecycle, tables
from subgraphs.incidents.enums import IncidentStatus
from subgraphs.incidents.events import record_settings_event
from subgraphs.incidents.family.rules import is_major

KIND = "incidents.auto_close"
DEFAULT_DAYS = 7
MAX_DAYS = 365
SATURDAY = 5


def business_days_after(start: datetime, days: int) -> datetime:
    """`start` moved forward by `days` business days (Monday-Friday), keeping its time of day:
    each calendar day passed counts when it lands on a weekday."""
    when, left = start, days
    while left > 0:
        when += timedelta(days=1)
        if when.weekday() < SATURDAY:
            left -= 1
    return when


def auto_close_exempt(row: Any) -> bool:
    """True for an incident that must not close by itself now: one that is not RESOLVED
    (reopened or closed since) or is a major incident (they never auto-close); the time is
    the job's check."""
    return bool(row.status != IncidentStatus.RESOLVED.value) or is_major(row)


async def auto_close_days(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    settings = tables.IncidentSettings
    days = await session.scalar(
        select(settings.auto_close_days).where(settings.tenant_id == tenant_id)
    )
    return DEFAULT_DAYS if days is None else days


async def schedule(session: AsyncSession, row: Any) -> int | None:
    """Queue the auto-close of `row`, just resolved (its `resolved_at` read back), in the
    session's transaction; the job's id, or None when the tenant's setting is 0 (never)."""
    days = await auto_close_days(session, row.tenant_id)
    if days == 0:
        return None
    payload = {"incident_id": str(row.id), "reopen_count": row.reopen_count}
    return await enqueue(
        session,
        KIND,
        row.tenant_id,
        payload,
        at=business_days_after(row.resolved_at, days),
    )


async def update_days(
    session: AsyncSession, tenant_id: uuid.UUID, days: int
) -> tuple[Any, dict[str, list[Any]]]:
    """Set the tenant's auto-close days (BAD_USER_INPUT outside 0..365), with an
    `incident.settings_updated` event when it changes; the settings' row and the changes."""
    if not 0 <= days <= MAX_DAYS:
        raise BadUserInput(f"autoCloseDays must be between 0 and {MAX_DAYS}", field="autoCloseDays")
    before = await auto_close_days(session, tenant_id)
    settings = tables.IncidentSettings
    row = (
        await session.execute(
            insert(settings)
            .values(
                tenant_id=tenant_id,
                reopen_window_days=lifecycle.DEFAULT_REOPEN_WINDOW_DAYS,
                auto_close_days=days,
            )
            .on_conflict_do_update(
                index_elements=[settings.tenant_id],
                set_={"auto_close_days": days, "updated_at": func.now()},
            )
            .returning(*settings.__table__.c)
        )
    ).one()
    changes = {} if before == days else {"autoCloseDays": [before, days]}
    if changes:
        record_settings_event(session, tenant_id, row.id, changes)
    return row, changes
