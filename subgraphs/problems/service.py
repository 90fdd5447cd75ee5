"""Problem writes: validation, numbering, the transition table with its required fields, the
priority matrix, known errors, workarounds and incident links, each change recorded in the
problem's history and the outbox — all inside the caller's unit of work, so either everything
commits or nothing does. No Strawberry here.

Writes return the row with its changed fields (`{field: [old, new]}`, empty when nothing
changed), which the mutation hands to the audit trail. A create is prepared first and
inserted by one statement that also numbers it, to be the last of its unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.numbering import unnumbered_insert
from resolvers.changes import (
    UNCHANGED,
    Changes,
    Diff,
    WorkItem,
    affected_cis,
    rate,
    required,
    set_work_fields,
    text,
)
from resolvers.errors import BadUserInput, Conflict, Forbidden, NotFound
from resolvers.locking import locked_row
from subgraphs.problems import events, permissions, rules, tables
from subgraphs.problems.enums import (
    CommentVisibility,
    Impact,
    Priority,
    ProblemChangeKind,
    ProblemResolutionCode,
    ProblemStatus,
    Urgency,
)


@dataclass(frozen=True)
class NewProblem:
    title: str
    description: str = ""
    impact: Impact = Impact.MEDIUM
    urgency: Urgency = Urgency.MEDIUM
    priority: Priority | None = None
    category: str | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    affected_ci_ids: tuple[uuid.UUID, ...] = ()
    incident_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class ProblemUpdate:
    """Fields to change; UNCHANGED leaves one alone. `priority=None` means derive it again."""

    title: Any = UNCHANGED
    description: Any = UNCHANGED
    impact: Any = UNCHANGED
    urgency: Any = UNCHANGED
    priority: Any = UNCHANGED
    category: Any = UNCHANGED
    team_id: Any = UNCHANGED
    ci_id: Any = UNCHANGED
    affected_ci_ids: Any = UNCHANGED  # a tuple of ids (empty: none)
    root_cause: Any = UNCHANGED
    cause_code: Any = UNCHANGED
    root_cause_ci_id: Any = UNCHANGED
    resolution_code: Any = UNCHANGED
    resolution_notes: Any = UNCHANGED
    status: Any = UNCHANGED


def distinct_ids(ids: Sequence[uuid.UUID], name: str, limit: int) -> tuple[uuid.UUID, ...]:
    """Each id once, in the order given; BAD_USER_INPUT when there are more than `limit`."""
    distinct = tuple(dict.fromkeys(ids))
    if len(distinct) > limit:
        raise BadUserInput(f"{name} may name at most {limit} entities", field=name)
    return distinct


# The fields an problem shares with other work items (resolvers/changes.py).
WORK_ITEM = WorkItem(
    link=tables.ProblemAffectedCi,
    owner="problem_id",
    title_max=rules.TITLE_MAX,
    description_max=rules.DESCRIPTION_MAX,
    category_max=rules.CODE_MAX,
    affected_max=rules.AFFECTED_CIS_MAX,
    prefix="input.",
)


async def get_for_update(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    return await locked_row(session, tables.Problem, tenant_id, id, "problem")


def _record(
    session: AsyncSession,
    row: Any,
    kind: ProblemChangeKind,
    changes: Changes,
    actor: uuid.UUID | None,
) -> None:
    session.add(
        tables.ProblemChange(
            tenant_id=row.tenant_id,
            problem_id=row.id,
            actor_id=actor,
            kind=kind.value,
            changes=changes,
        )
    )


async def _changed(
    session: AsyncSession, row: Any, kind: ProblemChangeKind, diff: Diff, actor: uuid.UUID | None
) -> None:
    """History entry and event of a change to the row's own columns (none when nothing did)."""
    if not diff.fields:
        return
    await session.flush()
    await session.refresh(row)
    _record(session, row, kind, diff.fields, actor)
    events.record_change_event(session, row, kind, diff.fields, actor)


# -- create -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedProblem:
    """A create checked and ready to insert: everything but the number, which only the
    inserting statement allocates."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    actor: uuid.UUID | None
    values: dict[str, Any]  # columns of the row
    affected_ci_ids: list[uuid.UUID]
    incident_ids: list[uuid.UUID]  # linked at once (createProblemFromIncidents)
    changes: Changes  # its history entry, event and audit record


def prepare_problem(
    tenant_id: uuid.UUID, new: NewProblem, actor: uuid.UUID | None
) -> PreparedProblem:
    """Validate a create (BAD_USER_INPUT) and settle its row; nothing is written."""
    title = text(new.title, "title", rules.TITLE_MAX, required=True)
    priority = new.priority or rules.derive_priority(new.impact, new.urgency)
    values: dict[str, Any] = {
        "title": title,
        "description": text(new.description, "description", rules.DESCRIPTION_MAX) or "",
        "status": ProblemStatus.NEW.value,
        "priority": rules.PRIORITY_RANK[priority],
        "priority_overridden": new.priority is not None,
        "impact": new.impact.value,
        "urgency": new.urgency.value,
        "category": text(new.category, "category", rules.CODE_MAX) or None,
        "assignee_id": new.assignee_id,
        "team_id": new.team_id,
        "ci_id": new.ci_id,
    }
    affected = affected_cis(new.ci_id, new.affected_ci_ids, rules.AFFECTED_CIS_MAX)
    incidents = list(distinct_ids(new.incident_ids, "incidentIds", rules.LINK_MAX))
    changes: Changes = {
        "status": [None, ProblemStatus.NEW.value],
        "title": [None, title],
        "priority": [None, priority.value],
    }
    if new.category:
        changes["category"] = [None, values["category"]]
    if new.ci_id is not None:
        changes["ciId"] = [None, str(new.ci_id)]
    if affected:
        changes["affectedCiIds"] = [None, [str(id) for id in affected]]
    if incidents:
        changes["incidentIds"] = [None, [str(id) for id in incidents]]
    return PreparedProblem(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        actor=actor,
        values=values,
        affected_ci_ids=affected,
        incident_ids=incidents,
        changes=changes,
    )


async def insert_problem(session: AsyncSession, problem: PreparedProblem) -> Any:
    """Insert the problem with its history entry, affected CIs, incident links and outbox
    events, in one statement; returns its row, without its number (handed out as the unit of
    work commits, db/numbering.py). CONFLICT when one of its incidents is linked to a
    problem."""
    parameters = {
        "id": problem.id,
        "tenant_id": problem.tenant_id,
        "actor_id": problem.actor,
        "changes": problem.changes,
        "affected_ci_ids": problem.affected_ci_ids,
        "incident_ids": problem.incident_ids,
        "incident_id_texts": [str(id) for id in problem.incident_ids],
        **problem.values,
    }
    try:
        return (await session.execute(INSERT, parameters)).one()
    except IntegrityError:
        raise Conflict(
            "An incident among incidentIds is linked to a problem already", field="incidentIds"
        ) from None


ROW_COLUMNS = (
    "title",
    "description",
    "status",
    "priority",
    "priority_overridden",
    "impact",
    "urgency",
    "category",
    "assignee_id",
    "team_id",
    "ci_id",
)


def _insert() -> Select[Any]:
    """`insert_problem`'s statement, built once."""
    created = unnumbered_insert(tables.Problem, ["id", "tenant_id", *ROW_COLUMNS])
    changes = bindparam("changes", type_=tables.ProblemChange.changes.type)
    actor = bindparam("actor_id", type_=tables.ProblemChange.actor_id.type)
    record = insert(tables.ProblemChange).from_select(
        ["tenant_id", "problem_id", "actor_id", "kind", "changes"],
        select(
            created.c.tenant_id,
            created.c.id,
            actor,
            literal(ProblemChangeKind.CREATED.value),
            changes,
        ),
    )
    affected = tables.ProblemAffectedCi
    affected_ids = bindparam("affected_ci_ids", type_=ARRAY(affected.ci_id.type))
    cis = insert(affected).from_select(
        ["tenant_id", "problem_id", "ci_id"],
        select(created.c.tenant_id, created.c.id, func.unnest(affected_ids)),
    )
    link = tables.ProblemIncident
    incident_ids = bindparam("incident_ids", type_=ARRAY(link.incident_id.type))
    links = insert(link).from_select(
        ["tenant_id", "problem_id", "incident_id", "actor_id"],
        select(created.c.tenant_id, created.c.id, func.unnest(incident_ids), actor),
    )
    created_event, linked_event = events.insert_created_events(
        created, changes, actor, bindparam("incident_id_texts", type_=JSONB)
    )
    return select(created).add_cte(
        record.cte("history"),
        cis.cte("affected"),
        links.cte("links"),
        created_event,
        linked_event,
    )


INSERT = _insert()


# -- update -------------------------------------------------------------------------------


async def linked_incidents(session: AsyncSession, row: Any) -> list[uuid.UUID]:
    """The ids of the incidents linked to the problem, oldest link first."""
    link = tables.ProblemIncident
    return list(
        await session.scalars(
            select(link.incident_id)
            .where(link.tenant_id == row.tenant_id, link.problem_id == row.id)
            .order_by(link.created_at, link.id)
        )
    )


def _transition(row: Any, target: ProblemStatus, diff: Diff, may_manage: bool) -> None:
    current = ProblemStatus(row.status)
    if current is target:
        return
    if not rules.can_transition(current, target):
        raise Conflict(
            f"A problem cannot go from {current.value} to {target.value}",
            field="status",
            currentStatus=current.value,
        )
    if target in rules.NEEDS_MANAGE and not may_manage:
        raise Forbidden(
            f"Moving a problem to {target.value} needs the permission {permissions.MANAGE}",
            permission=permissions.MANAGE,
        )
    if target in rules.NEEDS_ROOT_CAUSE and not row.root_cause:
        raise BadUserInput(
            f"A problem needs a recorded root cause (input.rootCause) to go to {target.value}",
            field="input.rootCause",
        )
    if target is ProblemStatus.RESOLVED and not row.resolution_code:
        raise BadUserInput(
            "A problem needs a resolution code (input.resolutionCode) to be RESOLVED",
            field="input.resolutionCode",
        )
    now = func.now()
    if target is ProblemStatus.RESOLVED:
        row.resolved_at = now
    if current is ProblemStatus.RESOLVED and target is ProblemStatus.FIX_IN_PROGRESS:
        row.resolved_at = None  # reopened
    if target in rules.FINAL:
        row.closed_at = now
    diff.set(row, "status", target.value)


async def update_problem(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    update: ProblemUpdate,
    actor: uuid.UUID | None,
    *,
    may_manage: bool,
) -> tuple[Any, Changes]:
    row = await get_for_update(session, tenant_id, id)
    was_final = ProblemStatus(row.status) in rules.FINAL
    diff = Diff()
    await set_work_fields(session, row, update, diff, WORK_ITEM)
    if update.root_cause is not UNCHANGED:
        cause = text(update.root_cause, "input.rootCause", rules.TEXT_MAX) or None
        diff.set(row, "root_cause", cause, "rootCause")
    if update.cause_code is not UNCHANGED:
        code = text(update.cause_code, "input.causeCode", rules.CODE_MAX) or None
        diff.set(row, "cause_code", code, "causeCode")
    if update.root_cause_ci_id is not UNCHANGED:
        diff.set(row, "root_cause_ci_id", update.root_cause_ci_id, "rootCauseCiId")
    if update.resolution_code is not UNCHANGED:
        resolution = update.resolution_code
        value = resolution.value if isinstance(resolution, ProblemResolutionCode) else None
        diff.set(row, "resolution_code", value, "resolutionCode")
    if update.resolution_notes is not UNCHANGED:
        notes = text(update.resolution_notes, "input.resolutionNotes", rules.TEXT_MAX) or None
        diff.set(row, "resolution_notes", notes, "resolutionNotes")
    rate(row, diff, update.impact, update.urgency, update.priority, prefix="input.")
    kind = ProblemChangeKind.UPDATED
    if update.status is not UNCHANGED:
        _transition(row, required(update.status, "input.status"), diff, may_manage)
        if list(diff.fields) == ["status"]:
            kind = ProblemChangeKind.STATUS_CHANGED
    if was_final and diff.fields:
        # Raising inside the unit of work rolls back the attribute changes made above.
        raise Conflict(f"A {row.status} problem cannot be changed", field="status")
    await _changed(session, row, kind, diff, actor)
    if "status" in diff.fields and row.status == ProblemStatus.RESOLVED.value:
        incidents = await linked_incidents(session, row)
        events.record_resolved(session, row, incidents, diff.fields, actor)
    return row, diff.fields


def _refuse_final(row: Any, what: str) -> None:
    if ProblemStatus(row.status) in rules.FINAL:
        raise Conflict(f"A {row.status} problem cannot {what}", field="status")


async def assign_problem(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    assignee_id: uuid.UUID | None,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    row = await get_for_update(session, tenant_id, id)
    _refuse_final(row, "be reassigned")
    diff = Diff()
    diff.set(row, "assignee_id", assignee_id, "assigneeId")
    await _changed(session, row, ProblemChangeKind.ASSIGNED, diff, actor)
    return row, diff.fields


async def add_comment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    problem_id: uuid.UUID,
    body: str,
    visibility: CommentVisibility,
    author_id: uuid.UUID | None,
) -> Any:
    problem = await get_for_update(session, tenant_id, problem_id)
    comment = tables.ProblemComment(
        tenant_id=tenant_id,
        problem_id=problem_id,
        author_id=author_id,
        body=text(body, "input.body", rules.TEXT_MAX, required=True),
        visibility=visibility.value,
    )
    session.add(comment)
    problem.updated_at = func.now()
    await session.flush()
    await session.refresh(comment)
    changes: Changes = {"comment": [None, str(comment.id)]}
    _record(session, problem, ProblemChangeKind.COMMENTED, changes, author_id)
    events.record_change_event(session, problem, ProblemChangeKind.COMMENTED, changes, author_id)
    return comment


# -- known errors and workarounds ---------------------------------------------------------


@dataclass(frozen=True)
class KnownError:
    symptom: str
    workaround: str
    error_code: str | None = None


async def mark_known_error(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    known: KnownError,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Record the problem as a known error (symptom, workaround, error code; its root cause
    and affected CIs are the problem's). The workaround reaches incidents only when
    published (`publish_workaround`)."""
    symptom = text(known.symptom, "input.symptom", rules.TEXT_MAX, required=True)
    workaround = text(known.workaround, "input.workaround", rules.TEXT_MAX, required=True)
    error_code = text(known.error_code, "input.errorCode", rules.CODE_MAX) or None
    row = await get_for_update(session, tenant_id, id)
    _refuse_final(row, "become a known error")
    diff = Diff()
    diff.set(row, "known_error", True, "knownError")
    diff.set(row, "symptom", symptom)
    diff.set(row, "workaround", workaround)
    diff.set(row, "error_code", error_code, "errorCode")
    if "knownError" in diff.fields:
        row.known_error_at = func.now()
    await _changed(session, row, ProblemChangeKind.KNOWN_ERROR_MARKED, diff, actor)
    return row, diff.fields


async def publish_workaround(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    workaround: str | None,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Publish the workaround (the one given, else the one recorded) to every linked
    incident: the `problem.workaround_published` event, which the incidents domain turns
    into a work note on each open one. Publishing the same text again changes nothing."""
    given = text(workaround, "workaround", rules.TEXT_MAX, required=workaround is not None)
    row = await get_for_update(session, tenant_id, id)
    _refuse_final(row, "publish a workaround")
    text_to_publish = given or row.workaround
    if not text_to_publish:
        raise BadUserInput(
            "The problem has no workaround to publish: pass workaround", field="workaround"
        )
    diff = Diff()
    diff.set(row, "workaround", text_to_publish)
    if row.workaround_published_at is None:
        diff.fields["published"] = [False, True]
    if not diff.fields:
        return row, {}
    row.workaround_published_at = func.now()
    await session.flush()
    await session.refresh(row)
    _record(session, row, ProblemChangeKind.WORKAROUND_PUBLISHED, diff.fields, actor)
    events.record_workaround_published(session, row, await linked_incidents(session, row), actor)
    return row, diff.fields


# -- incident links -----------------------------------------------------------------------


async def link_incidents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    incident_ids: Sequence[uuid.UUID],
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Link incidents (already checked to exist) to the problem. Those linked to it already
    stay as they are; one linked to another problem is a CONFLICT and nothing is linked."""
    wanted = distinct_ids(incident_ids, "incidentIds", rules.LINK_MAX)
    if not wanted:
        raise BadUserInput("incidentIds must name at least one incident", field="incidentIds")
    row = await get_for_update(session, tenant_id, id)
    _refuse_final(row, "get incidents linked")
    link = tables.ProblemIncident
    existing = {
        incident: problem
        for incident, problem in await session.execute(
            select(link.incident_id, link.problem_id).where(
                link.tenant_id == tenant_id, link.incident_id.in_(wanted)
            )
        )
    }
    for incident, problem in existing.items():
        if problem != row.id:
            raise Conflict(f"Incident {incident} is linked to another problem", field="incidentIds")
    added = [incident for incident in wanted if incident not in existing]
    if not added:
        return row, {}
    try:
        await session.execute(
            insert(link),
            [
                {"tenant_id": tenant_id, "problem_id": row.id, "incident_id": i, "actor_id": actor}
                for i in added
            ],
        )
    except IntegrityError:  # linked elsewhere by a concurrent request
        raise Conflict(
            "An incident among incidentIds is linked to another problem", field="incidentIds"
        ) from None
    row.updated_at = func.now()
    await session.flush()
    await session.refresh(row)
    changes: Changes = {"incidentIds": [None, [str(i) for i in added]]}
    _record(session, row, ProblemChangeKind.INCIDENTS_LINKED, changes, actor)
    events.record_linked(session, row, added, actor)
    return row, changes


async def unlink_incident(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    incident_id: uuid.UUID,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Remove the link; NOT_FOUND when the incident is not linked to this problem."""
    row = await get_for_update(session, tenant_id, id)
    _refuse_final(row, "get incidents unlinked")
    link = tables.ProblemIncident
    removed = await session.execute(
        delete(link)
        .where(
            link.tenant_id == tenant_id,
            link.problem_id == row.id,
            link.incident_id == incident_id,
        )
        .returning(link.id)
    )
    if removed.first() is None:
        raise NotFound(
            f"Incident {incident_id} is not linked to problem {rules.format_number(row.number)}",
            field="incidentId",
        )
    row.updated_at = func.now()
    await session.flush()
    await session.refresh(row)
    changes: Changes = {"incidentIds": [[str(incident_id)], None]}
    _record(session, row, ProblemChangeKind.INCIDENT_UNLINKED, changes, actor)
    events.record_unlinked(session, row, incident_id, actor)
    return row, changes
