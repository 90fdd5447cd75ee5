"""Soft delete, restore and purge of incidents.

`delete_incident` marks an incident deleted (when, by whom, why). From then on the application
role does not see it: the restrictive policy `live_rows` (migration incidents_0006) hides rows
with a `deleted_at` from every statement of a transaction that does not ask for them, so lists,
counts, `incident`/`incidentByNumber`, entity resolution (null), subscriptions and writes (NOT
FOUND) all leave it out without a filter of their own. Only the transactions here ask
(`include_deleted`). The audit log keeps the deletion (and everything before it).

`restore_incident` brings it back within RESTORE_DAYS of its deletion (later: CONFLICT, as for a
reopen outside its window: the request is well-formed, the incident's state refuses it).
The deletion queues an `incidents.purge` job at the end of that window (resolvers/jobs.py, in
the deleting transaction); the job removes the incident, its comments, history, affected
configuration items and attachments (their bytes too), unless it was restored (or deleted
again: that deletion's own job purges it). Numbers are never reused: the tenant's counter is
not touched."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.attachments import config as attachment_config
from resolvers.attachments.removal import remove_attachments_of
from resolvers.audit import AuditRecord, insert_entry
from resolvers.changes import Diff
from resolvers.errors import BadUserInput, Conflict, NotFound
from resolvers.jobs import Job, JobKind, RetryAt, enqueue
from subgraphs.incidents import service, tables
from subgraphs.incidents.attachments.loaders import OWNER_TYPE
from subgraphs.incidents.enums import ChangeKind

PURGE = "incidents.purge"
RESTORE_DAYS = 30
REASON_MAX = 2_000
INCLUDE_DELETED = text("SELECT set_config('app.include_deleted', 'on', true)")
# What goes with a purged incident (its own rows in this domain's tables).
PURGED_WITH: tuple[Any, ...] = (
    tables.IncidentComment,
    tables.IncidentChange,
    tables.IncidentAffectedCi,
)


async def include_deleted(session: AsyncSession) -> None:
    """Let the rest of the session's transaction see deleted incidents (transaction-local)."""
    await session.execute(INCLUDE_DELETED)


async def _any_row(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    """The incident, deleted or not, locked; None when the tenant has none with that id."""
    await include_deleted(session)
    row = tables.Incident
    return await session.scalar(
        select(row).where(row.tenant_id == tenant_id, row.id == id).with_for_update()
    )


async def delete_incident(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    reason: str,
    actor: uuid.UUID | None,
) -> tuple[Any, dict[str, list[Any]]]:
    """Mark the incident deleted (NOT_FOUND when there is none, deleted included; a reason of
    1..2000 characters: BAD_USER_INPUT), with its history entry, its `incident.deleted` event
    and its purge job; the row and the changes."""
    text_reason = (reason or "").strip()
    if not text_reason:
        raise BadUserInput("reason must not be empty", field="reason")
    if len(text_reason) > REASON_MAX:
        raise BadUserInput(f"reason must be at most {REASON_MAX} characters", field="reason")
    row = await _any_row(session, tenant_id, id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"No incident with id {id}", id=str(id))
    diff = Diff()
    row.deleted_at = func.now()
    diff.set(row, "deleted_by", actor, "deletedBy")
    diff.set(row, "delete_reason", text_reason, "deleteReason")
    await session.flush()
    await session.refresh(row)
    changes = {"deletedAt": [None, row.deleted_at.isoformat()], **diff.fields}
    service.record_change(session, row, ChangeKind.DELETED, Diff(changes), actor)
    await enqueue(
        session,
        PURGE,
        tenant_id,
        {"incident_id": str(row.id), "deleted_at": row.deleted_at.isoformat()},
        at=row.deleted_at + timedelta(days=RESTORE_DAYS),
    )
    return row, changes


async def restore_incident(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, actor: uuid.UUID | None
) -> tuple[Any, dict[str, list[Any]]]:
    """Bring a deleted incident back (NOT_FOUND when there is none; CONFLICT more than
    RESTORE_DAYS after its deletion); one that is not deleted is answered unchanged. Its
    history entry and `incident.restored` event; the row and the changes."""
    row = await _any_row(session, tenant_id, id)
    if row is None:
        raise NotFound(f"No incident with id {id}", id=str(id))
    if row.deleted_at is None:
        return row, {}
    now = await session.scalar(select(func.now()))
    if row.deleted_at + timedelta(days=RESTORE_DAYS) < now:
        raise Conflict(
            f"A deleted incident can be restored only within {RESTORE_DAYS} days of its deletion",
            field="id",
            restoreWindowDays=RESTORE_DAYS,
        )
    diff = Diff()
    diff.set(row, "deleted_by", None, "deletedBy")
    diff.set(row, "delete_reason", None, "deleteReason")
    changes = {"deletedAt": [row.deleted_at.isoformat(), None], **diff.fields}
    row.deleted_at = None
    await session.flush()
    await session.refresh(row)
    service.record_change(session, row, ChangeKind.RESTORED, Diff(changes), actor)
    return row, changes


async def purge_when_due(
    session: AsyncSession, job: Job, *, now: datetime | None = None
) -> RetryAt | None:
    """The `incidents.purge` job: remove the incident if it is still the deletion the job was
    queued for and RESTORE_DAYS have passed by `now` (the database's clock unless given)."""
    id = uuid.UUID(job.payload["incident_id"])
    row = await _any_row(session, job.tenant_id, id)
    deleted_at = datetime.fromisoformat(job.payload["deleted_at"])
    if row is None or row.deleted_at is None or row.deleted_at != deleted_at:
        return None  # purged already, restored, or deleted again (that deletion's job purges)
    if now is None:
        now = await session.scalar(select(func.now()))
    assert now is not None
    due = row.deleted_at + timedelta(days=RESTORE_DAYS)
    if now < due:
        return RetryAt(due)
    record = AuditRecord()
    record.entity("Incident", row.id)
    record.deleted({"number": row.number, "title": row.title, "deletedAt": deleted_at.isoformat()})
    for table in PURGED_WITH:
        await session.execute(
            delete(table).where(table.tenant_id == job.tenant_id, table.incident_id == row.id)
        )
    await remove_attachments_of(session, attachment_config.current(), OWNER_TYPE, row.id)
    await session.delete(row)
    await session.flush()
    await insert_entry(
        session,
        record,
        tenant_id=job.tenant_id,
        actor_id=None,
        operation=PURGE,
        request_id=f"job:{job.id}",
    )
    return None


PURGE_JOB = JobKind(PURGE, purge_when_due, concurrency=1)
