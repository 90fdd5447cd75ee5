"""Events the problem domain writes to the outbox: one per committed change, plus the kinds
other domains react to (contract of issue 20, section 2; the incidents domain's consumer
adds work notes and releases incidents from them). Payloads carry ids as strings, the
human number ("PRB-17") and the acting user (`actorId`, who authors the reactions)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CTE, ColumnElement, Insert, String, cast, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import Outbox, insert_events, record_event
from subgraphs.problems import rules, tables
from subgraphs.problems.enums import ProblemChangeKind

DOMAIN = "problems"  # the subgraph owning the entity (caches key on it)
ENTITY = "Problem"

EVENT_KIND: dict[ProblemChangeKind, str] = {
    ProblemChangeKind.CREATED: "problem.created",
    ProblemChangeKind.UPDATED: "problem.updated",
    ProblemChangeKind.ASSIGNED: "problem.assigned",
    ProblemChangeKind.STATUS_CHANGED: "problem.status_changed",
    ProblemChangeKind.COMMENTED: "problem.commented",
    ProblemChangeKind.KNOWN_ERROR_MARKED: "problem.known_error_marked",
    ProblemChangeKind.WORKAROUND_PUBLISHED: "problem.workaround_published",
    ProblemChangeKind.INCIDENTS_LINKED: "problem.incidents_linked",
    ProblemChangeKind.INCIDENT_UNLINKED: "problem.incident_unlinked",
}
RESOLVED = "problem.resolved"
"""Written beside `problem.status_changed` when a problem becomes RESOLVED."""
EVENT_KINDS = frozenset({*EVENT_KIND.values(), RESOLVED})


def _ids(ids: list[uuid.UUID]) -> list[str]:
    return [str(id) for id in ids]


def record_problem_event(
    session: AsyncSession,
    problem: tables.Problem,
    kind: str,
    actor: uuid.UUID | None,
    **fields: Any,
) -> None:
    """The event `kind` about `problem`: `{"id", "number", "actorId"}` and `fields`. In the
    transaction creating the problem its number is null, written in as it commits
    (db/numbering.py)."""
    record_event(
        session,
        tenant_id=problem.tenant_id,
        domain=DOMAIN,
        kind=kind,
        entity_type=ENTITY,
        entity_id=problem.id,
        payload={
            "id": str(problem.id),
            "number": None if problem.number is None else rules.format_number(problem.number),
            **fields,
            "actorId": str(actor) if actor else None,
        },
    )


def record_change_event(
    session: AsyncSession,
    problem: tables.Problem,
    kind: ProblemChangeKind,
    changes: dict[str, Any],
    actor: uuid.UUID | None,
) -> None:
    record_problem_event(session, problem, EVENT_KIND[kind], actor, changes=changes)


def record_linked(
    session: AsyncSession,
    problem: tables.Problem,
    incident_ids: list[uuid.UUID],
    actor: uuid.UUID | None,
) -> None:
    record_problem_event(
        session,
        problem,
        EVENT_KIND[ProblemChangeKind.INCIDENTS_LINKED],
        actor,
        title=problem.title,
        incidentIds=_ids(incident_ids),
        workaround=problem.workaround if problem.workaround_published_at else None,
    )


def record_unlinked(
    session: AsyncSession, problem: tables.Problem, incident_id: uuid.UUID, actor: uuid.UUID | None
) -> None:
    record_problem_event(
        session,
        problem,
        EVENT_KIND[ProblemChangeKind.INCIDENT_UNLINKED],
        actor,
        incidentIds=[str(incident_id)],
    )


def record_workaround_published(
    session: AsyncSession,
    problem: tables.Problem,
    incident_ids: list[uuid.UUID],
    actor: uuid.UUID | None,
) -> None:
    record_problem_event(
        session,
        problem,
        EVENT_KIND[ProblemChangeKind.WORKAROUND_PUBLISHED],
        actor,
        title=problem.title,
        workaround=problem.workaround,
        incidentIds=_ids(incident_ids),
    )


def record_resolved(
    session: AsyncSession,
    problem: tables.Problem,
    incident_ids: list[uuid.UUID],
    changes: dict[str, Any],
    actor: uuid.UUID | None,
) -> None:
    record_problem_event(
        session,
        problem,
        RESOLVED,
        actor,
        title=problem.title,
        resolutionCode=problem.resolution_code,
        incidentIds=_ids(incident_ids),
        changes=changes,
    )


def _payload(created: CTE, actor: ColumnElement[Any], *pairs: Any) -> ColumnElement[Any]:
    return func.jsonb_build_object(
        "id",
        cast(created.c.id, String),
        "number",
        literal(rules.NUMBER_PREFIX) + cast(created.c.number, String),
        *pairs,
        "actorId",
        cast(actor, String),
    )


def _events_of(
    created: CTE,
    kind: str,
    payload: ColumnElement[Any],
    *where: ColumnElement[bool],
    after: CTE | None = None,
) -> Insert:
    """An event per row of `created`; with `after`, written after that CTE's (it reads it)."""
    source = created if after is None else created.join(after, true())
    rows = select(
        created.c.tenant_id,
        literal(DOMAIN),
        literal(kind),
        literal(ENTITY),
        created.c.id,
        payload,
    ).select_from(source)
    return insert_events(rows.where(*where))


def insert_created_events(
    created: CTE,
    changes: ColumnElement[Any],
    actor: ColumnElement[Any],
    incident_ids: ColumnElement[Any],
) -> tuple[CTE, CTE]:
    """CTEs writing the `problem.created` event of the problem `created` inserts (a CTE
    returning its row) and, after it, its `problem.incidents_linked` event when it is made
    from incidents (`incident_ids`: a JSON array of id strings; no event when it is empty).
    Their `number` is null until the problem is numbered at commit, which writes it in
    (db/numbering.py)."""
    created_event = (
        _events_of(
            created,
            EVENT_KIND[ProblemChangeKind.CREATED],
            _payload(created, actor, "changes", changes),
        )
        .returning(Outbox.id)
        .cte("created_event")
    )
    payload = _payload(
        created,
        actor,
        "title",
        created.c.title,
        "incidentIds",
        incident_ids,
        "workaround",
        None,
    )
    # Reading the created event's id makes the database write it first: the events keep
    # the order of the changes.
    linked = _events_of(
        created,
        EVENT_KIND[ProblemChangeKind.INCIDENTS_LINKED],
        payload,
        func.jsonb_array_length(incident_ids) > 0,
        after=created_event,
    )
    return created_event, linked.cte("linked_event")
