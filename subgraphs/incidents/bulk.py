"""Bulk updates of incidents: one change (status with what it needs, assignee, team, priority)
applied to up to MAX_IDS incidents, each through the same service functions as the single
mutations (service.update_incident, service.assign_incident, transitions.transition_incident),
each in its own savepoint: an unknown id, another tenant's, or one the rules refuse gets its
error (code and message) in the results and the others go on. Each incident changed gets its
history entry, events and an audit entry, as with the single mutations.

A batch of up to IN_REQUEST ids runs in the request. A larger one is recorded and runs on the
job queue (`incidents.bulk_update`, resolvers/jobs.py) CHUNK ids per run: each run commits its
chunk with an `incident.bulk_progress` event (what `bulkUpdateProgress` streams) and asks to
run again at once until every id is done; a restart resumes at the next chunk (the row keeps
how far it got). Every batch writes its progress events, the small ones a single one."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import record_event
from resolvers.audit import AuditRecord, insert_entry
from resolvers.changes import UNCHANGED
from resolvers.errors import BadUserInput, OpsGraphError
from resolvers.ids import try_parse_id
from resolvers.jobs import Job, JobKind, RetryAt, enqueue
from subgraphs.incidents import lifecycle, service, transitions
from subgraphs.incidents.bulk_tables import IncidentBulkUpdate
from subgraphs.incidents.enums import HoldReason, IncidentStatus, Priority, ResolutionCode
from subgraphs.incidents.events import DOMAIN

KIND = "incidents.bulk_update"
PROGRESS = "incident.bulk_progress"
"""A chunk of a bulk update committed (entity `IncidentBulkUpdate`, the job's id)."""
OPERATION = "bulkUpdateIncidents"
MAX_IDS = 500
IN_REQUEST = 50
CHUNK = 50


@dataclass(frozen=True)
class BulkChange:
    """What to change on every incident (None: leave it)."""

    status: IncidentStatus | None = None
    hold_reason: HoldReason | None = None
    resolution_code: ResolutionCode | None = None
    resolution_notes: str | None = None
    cancel_reason: str | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    priority: Priority | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in asdict(self).values())

    def to_json(self) -> dict[str, Any]:
        return {
            name: None if value is None else str(getattr(value, "value", value))
            for name, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkChange:
        def of(kind: Any, name: str) -> Any:
            value = data.get(name)
            return None if value is None else kind(value)

        return cls(
            status=of(IncidentStatus, "status"),
            hold_reason=of(HoldReason, "hold_reason"),
            resolution_code=of(ResolutionCode, "resolution_code"),
            resolution_notes=data.get("resolution_notes"),
            cancel_reason=data.get("cancel_reason"),
            assignee_id=of(uuid.UUID, "assignee_id"),
            team_id=of(uuid.UUID, "team_id"),
            priority=of(Priority, "priority"),
        )


def check_request(ids: list[str], change: BulkChange) -> None:
    """BAD_USER_INPUT (nothing written) for no ids, more than MAX_IDS, an id given twice, or a
    change that changes nothing."""
    if not ids:
        raise BadUserInput("ids must name at least one incident", field="ids")
    if len(ids) > MAX_IDS:
        raise BadUserInput(
            f"ids may name at most {MAX_IDS} incidents (got {len(ids)})", field="ids", max=MAX_IDS
        )
    if len(set(ids)) != len(ids):
        raise BadUserInput("ids must not name an incident twice", field="ids")
    if change.is_empty():
        raise BadUserInput("input must change something", field="input")


@dataclass(frozen=True)
class Actor:
    """Who the bulk update runs for, as its audit entries name them."""

    id: uuid.UUID | None
    request_id: str
    client_id: str | None = None


async def apply_one(
    session: AsyncSession, tenant_id: uuid.UUID, id_text: str, change: BulkChange, actor: Actor
) -> dict[str, Any]:
    """Apply the change to one incident in a savepoint; its result."""
    id = try_parse_id(id_text)
    if id is None:
        return _failed(id_text, "BAD_USER_INPUT", f"{id_text!r} is not a valid id")
    try:
        async with session.begin_nested():
            changes: dict[str, Any] = {}
            if change.team_id is not None or change.priority is not None:
                update = service.IncidentUpdate(
                    team_id=UNCHANGED if change.team_id is None else change.team_id,
                    priority=UNCHANGED if change.priority is None else change.priority,
                )
                _, updated = await service.update_incident(session, tenant_id, id, update, actor.id)
                changes.update(updated)
            if change.assignee_id is not None:
                _, assigned = await service.assign_incident(
                    session, tenant_id, id, change.assignee_id, actor.id
                )
                changes.update(assigned)
            if change.status is not None:
                request = lifecycle.TransitionRequest(
                    status=change.status,
                    hold_reason=change.hold_reason,
                    resolution_code=change.resolution_code,
                    resolution_notes=change.resolution_notes,
                    cancel_reason=change.cancel_reason,
                )
                done = await transitions.transition_incident(
                    session, tenant_id, id, request, actor.id
                )
                changes.update(done.changes)
            if changes:
                record = AuditRecord()
                record.entity("Incident", id)
                record.changed(changes)
                await insert_entry(
                    session,
                    record,
                    tenant_id=tenant_id,
                    actor_id=actor.id,
                    operation=OPERATION,
                    request_id=actor.request_id,
                    client_id=actor.client_id,
                )
    except OpsGraphError as error:
        return _failed(id_text, str((error.extensions or {}).get("code")), error.message)
    return {"id": id_text, "ok": True, "code": None, "message": None}


def _failed(id_text: str, code: str, message: str) -> dict[str, Any]:
    return {"id": id_text, "ok": False, "code": code, "message": message}


async def run_chunk(
    session: AsyncSession, bulk: IncidentBulkUpdate, actor: Actor
) -> list[dict[str, Any]]:
    """Apply the change to the next CHUNK ids of `bulk`, record their results and the
    progress event; the chunk's results."""
    change = BulkChange.from_json(bulk.change)
    start, tenant_id = bulk.processed, bulk.tenant_id
    chunk = [
        await apply_one(session, tenant_id, id_text, change, actor)
        for id_text in bulk.ids[start : start + CHUNK]
    ]
    await session.refresh(bulk)  # a savepoint rolled back may have expired it
    bulk.results = [*bulk.results, *chunk]
    bulk.processed = start + len(chunk)
    bulk.succeeded += sum(1 for result in chunk if result["ok"])
    done = bulk.processed >= bulk.total
    if done:
        bulk.finished_at = func.now()
    await session.flush()
    record_event(
        session,
        tenant_id=bulk.tenant_id,
        domain=DOMAIN,
        kind=PROGRESS,
        entity_type="IncidentBulkUpdate",
        entity_id=bulk.id,
        payload={
            "id": str(bulk.id),
            "total": bulk.total,
            "processed": bulk.processed,
            "succeeded": bulk.succeeded,
            "done": done,
            "results": chunk,
        },
    )
    return chunk


async def start(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ids: list[str],
    change: BulkChange,
    actor: Actor,
) -> IncidentBulkUpdate:
    """Record the bulk update; run it now (up to IN_REQUEST ids) or queue it."""
    check_request(ids, change)
    bulk = IncidentBulkUpdate(
        tenant_id=tenant_id,
        actor_id=actor.id,
        ids=list(ids),
        change=change.to_json(),
        total=len(ids),
        processed=0,
        succeeded=0,
        results=[],
    )
    session.add(bulk)
    await session.flush()
    if len(ids) <= IN_REQUEST:
        await run_chunk(session, bulk, actor)
    else:
        await enqueue(session, KIND, tenant_id, {"bulk_id": str(bulk.id)}, lock=f"bulk:{bulk.id}")
    await session.refresh(bulk)
    return bulk


async def run_queued(session: AsyncSession, job: Job) -> RetryAt | None:
    """The `incidents.bulk_update` job: one chunk per run, again at once until done."""
    bulk = await session.scalar(
        select(IncidentBulkUpdate)
        .where(
            IncidentBulkUpdate.tenant_id == job.tenant_id,
            IncidentBulkUpdate.id == uuid.UUID(job.payload["bulk_id"]),
        )
        .with_for_update()
    )
    if bulk is None or bulk.finished_at is not None:
        return None
    await run_chunk(session, bulk, Actor(bulk.actor_id, f"job:{job.id}"))
    if bulk.processed < bulk.total:
        return RetryAt(datetime.now(UTC))
    return None


JOB = JobKind(KIND, run_queued, concurrency=2)
