"""bulkUpdateIncidents, incidentBulkUpdate and bulkUpdateProgress (bulk.py does the work).

bulkUpdateProgress answers where the batch is first (read from its row), then the progress
events of its chunks committed after that (a chunk already in the first answer is skipped),
until the last. A chunk that commits in the instant between that read and the subscription
joining the live events is not streamed: its results are in incidentBulkUpdate(jobId), and if
it was the last one the subscription waits for a client's stop (the app role cannot read the
outbox to resume from a position)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from sqlalchemy import select

from resolvers.errors import NotFound, SubscriptionsUnavailable
from resolvers.events import Event, live_events
from resolvers.ids import parse_id
from resolvers.permissions import check, requires
from resolvers.references import require_references
from subgraphs.incidents import bulk, permissions
from subgraphs.incidents.bulk_tables import IncidentBulkUpdate as Row
from subgraphs.incidents.bulk_types import (
    BulkUpdateIncidentsInput,
    BulkUpdateProgress,
    IncidentBulkUpdate,
)


def change_of(input: BulkUpdateIncidentsInput) -> bulk.BulkChange:
    return bulk.BulkChange(
        status=input.status,
        hold_reason=input.hold_reason,
        resolution_code=input.resolution_code,
        resolution_notes=input.resolution_notes,
        cancel_reason=input.cancel_reason,
        assignee_id=None
        if input.assignee_id is None
        else parse_id(input.assignee_id, "input.assigneeId"),
        team_id=None if input.team_id is None else parse_id(input.team_id, "input.teamId"),
        priority=input.priority,
    )


@strawberry.mutation(
    description="Apply one change to up to 500 incidents, each by the rules of the single "
    "mutations (updateIncident, assignIncident, transitionIncident) and on its own: the answer "
    "has each id's result (ok, or the error's code and message). Up to 50 ids are done in the "
    "request; more run in the background (done: false): follow bulkUpdateProgress(jobId), or "
    "read incidentBulkUpdate(jobId). BAD_USER_INPUT (nothing written) for no ids, more than "
    "500, an id given twice or an input that changes nothing; NOT_FOUND for an assignee or "
    "team that is not the tenant's.",
    extensions=requires(permissions.UPDATE),
)
async def bulk_update_incidents(
    info: strawberry.Info, ids: list[strawberry.ID], input: BulkUpdateIncidentsInput
) -> IncidentBulkUpdate:
    ctx = info.context
    change = change_of(input)
    bulk.check_request([str(id) for id in ids], change)
    if change.assignee_id is not None:
        check(ctx.principal, permissions.ASSIGN)
    await require_references(info, "User", {"input.assigneeId": change.assignee_id})
    await require_references(info, "Team", {"input.teamId": change.team_id})
    actor = bulk.Actor(ctx.actor_id, ctx.request_id, ctx.principal.client_id)
    async with ctx.db.unit_of_work() as session:
        row = await bulk.start(session, ctx.tenant_id, [str(id) for id in ids], change, actor)
        answer = IncidentBulkUpdate.of(row)
    return answer


async def _bulk_row(info: strawberry.Info, job_id: uuid.UUID) -> Any:
    rows = await info.context.db.rows(
        select(Row.__table__).where(Row.tenant_id == info.context.tenant_id, Row.id == job_id)
    )
    return rows[0] if rows else None


@strawberry.field(
    description="A bulk update by its jobId; null when there is none.",
    extensions=requires(permissions.UPDATE),
)
async def incident_bulk_update(
    info: strawberry.Info, job_id: strawberry.ID
) -> IncidentBulkUpdate | None:
    row = await _bulk_row(info, parse_id(job_id, "jobId"))
    return None if row is None else IncidentBulkUpdate.of(row)


@strawberry.subscription(
    description="A bulk update's progress: first where it is now (every result so far), then "
    "each chunk as it commits, until done. NOT_FOUND for an unknown jobId.",
    extensions=requires(permissions.UPDATE),
)
async def bulk_update_progress(
    info: strawberry.Info, job_id: strawberry.ID
) -> AsyncGenerator[BulkUpdateProgress, None]:
    id = parse_id(job_id, "jobId")
    feed = info.context.events
    if feed is None:
        raise SubscriptionsUnavailable("This server does not deliver events")
    after = feed.last_seq  # before the row: a chunk that commits meanwhile comes as an event
    row = await _bulk_row(info, id)
    if row is None:
        raise NotFound(f"No bulk update with id {job_id}", id=str(job_id))
    await info.context.end_event()
    seen = row.processed
    yield BulkUpdateProgress.of(
        {
            "id": str(row.id),
            "total": row.total,
            "processed": row.processed,
            "succeeded": row.succeeded,
            "done": row.processed >= row.total,
            "results": row.results,
        }
    )
    if row.processed >= row.total:
        return

    async def progress_of(event: Event) -> dict[str, Any] | None:
        if event.kind != bulk.PROGRESS or event.entity_id != id:
            return None
        return event.payload

    async for _, payload in live_events(info, permissions.UPDATE, after, progress_of):
        if payload["processed"] <= seen:
            continue  # already in the first message
        seen = payload["processed"]
        yield BulkUpdateProgress.of(payload)
        if payload["done"]:
            return
