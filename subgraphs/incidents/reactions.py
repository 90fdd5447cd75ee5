"""How incidents react to the problems domain's events (CONTRACT-events section 2), as the
consumer `incidents.problem-reactions` (resolvers/consumers.py) the incident manifest
declares. The incidents domain knows the events' payloads, never the problems subgraph.

- `problem.workaround_published`: each linked open incident gets one work note with the
  workaround; `problem.incidents_linked` with a workaround: the same on each newly linked one.
- `problem.resolved`: linked incidents ON_HOLD for AWAITING_PROBLEM return to IN_PROGRESS
  with a work note; the other linked open incidents get only the note.

The notes and moves go through the same service functions as the mutations (history,
`incident.*` outbox events), with an audit entry naming the consumer and the event. The
runner hands each event once, behind its tenant's wall, and commits these effects with its
position. Each note records the event's `seq` (unique per incident): an incident listed twice
in one event, or an event handled again after its position was rewound (a replay), is noted
once. An id that names no incident of the tenant (another tenant's, say: the wall hides it)
is ignored. Closed, cancelled and resolved incidents are never touched."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.audit import AuditRecord, insert_entry
from resolvers.consumers import EventConsumer
from resolvers.events import Event
from resolvers.ids import try_parse_id
from subgraphs.incidents import lifecycle, rules, tables, transitions
from subgraphs.incidents.enums import CommentVisibility, HoldReason, IncidentStatus

NAME = "incidents.problem-reactions"
WORKAROUND_PUBLISHED = "problem.workaround_published"
INCIDENTS_LINKED = "problem.incidents_linked"
RESOLVED = "problem.resolved"


async def handle(session: AsyncSession, event: Event) -> None:
    payload = event.payload
    if event.kind in (WORKAROUND_PUBLISHED, INCIDENTS_LINKED):
        workaround = payload.get("workaround")
        if workaround:
            note = f"Workaround from {payload.get('number')} ({payload.get('title')}): {workaround}"
            for row in await _open_incidents(session, event):
                await _note(session, event, row.id, note)
    elif event.kind == RESOLVED:
        note = (
            f"{payload.get('number')} resolved ({payload.get('resolutionCode')}): "
            f"{payload.get('title')}"
        )
        for row in await _open_incidents(session, event):
            if row.hold_reason == HoldReason.AWAITING_PROBLEM.value:
                await _release(session, event, row.id, note)
            else:
                await _note(session, event, row.id, note)


async def _open_incidents(session: AsyncSession, event: Event) -> Sequence[Any]:
    """The event's incidents that exist in its tenant, are still open and have no note of
    this event yet, each once, oldest number first (locks always taken in one order)."""
    ids = {id for raw in event.payload.get("incidentIds") or () if (id := try_parse_id(raw))}
    if not ids:
        return []
    row, comment = tables.Incident, tables.IncidentComment
    noted = exists().where(
        comment.tenant_id == row.tenant_id,
        comment.incident_id == row.id,
        comment.source_event == event.seq,
    )
    return (
        await session.execute(
            select(row.id, row.hold_reason)
            .where(
                row.tenant_id == event.tenant_id,
                row.id.in_(ids),
                row.status.in_([status.value for status in rules.OPEN]),
                ~noted,
            )
            .order_by(row.number)
        )
    ).all()


def _body(note: str) -> str:
    return note[: rules.COMMENT_MAX]


def _actor(event: Event) -> uuid.UUID | None:
    return try_parse_id(event.payload.get("actorId"))


async def _note(session: AsyncSession, event: Event, incident_id: uuid.UUID, note: str) -> None:
    done = await transitions.comment_on_incident(
        session,
        event.tenant_id,
        incident_id,
        _body(note),
        CommentVisibility.WORK_NOTE,
        _actor(event),
        event.seq,
    )
    record = AuditRecord()
    record.entity("IncidentComment", done.comment.id)
    record.created(
        {
            "incidentId": str(incident_id),
            "authorId": str(done.comment.author_id) if done.comment.author_id else None,
            "visibility": done.comment.visibility,
            "body": done.comment.body,
        }
    )
    await _audit(session, event, record)


async def _release(session: AsyncSession, event: Event, incident_id: uuid.UUID, note: str) -> None:
    request = lifecycle.TransitionRequest(
        IncidentStatus.IN_PROGRESS,
        comment=lifecycle.NewComment(_body(note), CommentVisibility.WORK_NOTE, event.seq),
    )
    done = await transitions.transition_incident(
        session, event.tenant_id, incident_id, request, _actor(event)
    )
    record = AuditRecord()
    record.entity("Incident", incident_id)
    record.changed(done.changes)
    record.changed({"comment": [None, str(done.comment.id)]})
    await _audit(session, event, record)


async def _audit(session: AsyncSession, event: Event, record: AuditRecord) -> None:
    await insert_entry(
        session,
        record,
        tenant_id=event.tenant_id,
        actor_id=_actor(event),
        operation=NAME,
        request_id=f"event:{event.seq}",
    )


PROBLEM_REACTIONS = EventConsumer(
    name=NAME,
    domains=frozenset({"problems"}),
    handle=handle,
    kinds=frozenset({WORKAROUND_PUBLISHED, INCIDENTS_LINKED, RESOLVED}),
)
