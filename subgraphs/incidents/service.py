"""Incident writes: validation, the transition table and priority matrix applied,
the change recorded in the incident's history and in the outbox — all inside the caller's
unit of work, so either everything commits or nothing does. No Strawberry here.

Writes return the row with its changed fields (`{field: [old, new]}`, empty when nothing
changed), which the mutation hands to the audit trail. A create is prepared first (its
changes are known before it is written) and inserted by one statement; the database numbers
it as the unit of work commits (db/numbering.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.numbering import unnumbered_insert
from resolvers.changes import (
    UNCHANGED,
    Changes,
    Diff,
    WorkItem,
    affected_cis,
    plain,
    rate,
    set_work_fields,
    text,
)
from resolvers.errors import Conflict
from resolvers.locking import locked_row
from subgraphs.incidents import rules, tables, tags
from subgraphs.incidents.custom_fields.definitions import FieldCatalogue, updated_values
from subgraphs.incidents.enums import (
    ChangeKind,
    CommentVisibility,
    Impact,
    IncidentSource,
    IncidentStatus,
    Priority,
    Urgency,
)
from subgraphs.incidents.events import insert_incident_events, record_incident_event


@dataclass(frozen=True)
class NewIncident:
    title: str
    description: str = ""
    impact: Impact = Impact.MEDIUM
    urgency: Urgency = Urgency.MEDIUM
    priority: Priority | None = None
    category: str | None = None
    source: IncidentSource = IncidentSource.MANUAL
    external_id: str | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    reporter_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    affected_ci_ids: tuple[uuid.UUID, ...] = ()
    opened_at: datetime | None = None
    integration_id: uuid.UUID | None = None  # the alert integration opening it
    parent_id: uuid.UUID | None = None
    alert_count: int = 0
    last_alert_at: datetime | None = None
    tags: Sequence[str] = ()  # as given (normalised by prepare_incident)
    # Custom field values, already checked (custom_fields.definitions.created_values).
    custom_fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentUpdate:
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
    tags: Any = UNCHANGED  # a sequence of tags as given (empty: none)
    # (the tenant's field catalogue, a JSON merge patch of the values)
    custom_fields: Any = UNCHANGED


# The fields an incident shares with other work items (resolvers/changes.py).
WORK_ITEM = WorkItem(
    link=tables.IncidentAffectedCi,
    owner="incident_id",
    title_max=rules.TITLE_MAX,
    description_max=rules.DESCRIPTION_MAX,
    category_max=rules.CATEGORY_MAX,
    affected_max=rules.AFFECTED_CIS_MAX,
    prefix="",
)


async def get_for_update(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    return await locked_row(session, tables.Incident, tenant_id, id, "incident")


def record_change(
    session: AsyncSession, row: Any, kind: ChangeKind, diff: Diff, actor: uuid.UUID | None
) -> None:
    session.add(
        tables.IncidentChange(
            tenant_id=row.tenant_id,
            incident_id=row.id,
            actor_id=actor,
            kind=kind.value,
            changes=diff.fields,
        )
    )
    record_incident_event(session, row, kind, diff.fields)


@dataclass(frozen=True)
class PreparedIncident:
    """A create checked and ready to insert: everything but the number, which the database
    hands out as the inserting unit of work commits."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    actor: uuid.UUID | None
    values: dict[str, Any]  # columns of the row (opened_at None: the database's now())
    affected_ci_ids: list[uuid.UUID]  # rows of incident_affected_cis
    changes: Changes  # its history entry, event and audit record


def prepare_incident(
    tenant_id: uuid.UUID, new: NewIncident, actor: uuid.UUID | None
) -> PreparedIncident:
    """Validate a create (BAD_USER_INPUT) and settle its row; nothing is written."""
    title = text(new.title, "title", rules.TITLE_MAX, required=True)
    priority = new.priority or rules.derive_priority(new.impact, new.urgency)
    values: dict[str, Any] = {
        "title": title,
        "description": text(new.description, "description", rules.DESCRIPTION_MAX) or "",
        "status": IncidentStatus.OPEN.value,
        "priority": rules.PRIORITY_RANK[priority],
        "priority_overridden": new.priority is not None,
        "impact": new.impact.value,
        "urgency": new.urgency.value,
        "category": text(new.category, "category", rules.CATEGORY_MAX) or None,
        "source": new.source.value,
        "external_id": text(new.external_id, "externalId", rules.EXTERNAL_ID_MAX) or None,
        "assignee_id": new.assignee_id,
        "team_id": new.team_id,
        "reporter_id": new.reporter_id or actor,
        "ci_id": new.ci_id,
        "opened_at": new.opened_at,
        "integration_id": new.integration_id,
        "parent_id": new.parent_id,
        "alert_count": new.alert_count,
        "last_alert_at": new.last_alert_at,
        "tags": tags.tag_set(new.tags, "input.tags"),
        "custom_fields": dict(new.custom_fields),
    }
    affected = affected_cis(new.ci_id, new.affected_ci_ids, rules.AFFECTED_CIS_MAX)
    changes: Changes = {"status": [None, IncidentStatus.OPEN.value], "title": [None, title]}
    if values["category"] is not None:
        changes["category"] = [None, values["category"]]
    if new.ci_id is not None:
        changes["ciId"] = [None, str(new.ci_id)]
    if affected:
        changes["affectedCiIds"] = [None, [str(id) for id in affected]]
    if values["tags"]:
        changes["tags"] = [None, values["tags"]]
    for name, value in sorted(new.custom_fields.items()):
        changes[f"customFields.{name}"] = [None, value]
    return PreparedIncident(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        actor=actor,
        values=values,
        affected_ci_ids=affected,
        changes=changes,
    )


async def insert_incident(session: AsyncSession, incident: PreparedIncident) -> Any:
    """Insert the incident, its history entry and its outbox event, in one statement; returns
    its row, without its number: the incident is numbered as the unit of work commits
    (db/numbering.py), anywhere in it."""
    try:
        parameters = {
            "id": incident.id,
            "tenant_id": incident.tenant_id,
            "actor_id": incident.actor,
            "changes": incident.changes,
            "affected_ci_ids": incident.affected_ci_ids,
            **incident.values,
        }
        return (await session.execute(INSERT, parameters)).one()
    except IntegrityError:
        source, external_id = incident.values["source"], incident.values["external_id"]
        raise Conflict(
            f"An incident from {source} with externalId {external_id} already exists",
            field="externalId",
        ) from None


def _insert() -> Select[Any]:
    """`insert_incident`'s statement, built once: its parameters are the prepared create's
    values, its id, tenant_id, actor_id and changes."""
    created = unnumbered_insert(
        tables.Incident, ["id", "tenant_id", *ROW_COLUMNS], now_unless_given=["opened_at"]
    )
    changes = bindparam("changes", type_=tables.IncidentChange.changes.type)
    affected = tables.IncidentAffectedCi
    affected_ids = bindparam("affected_ci_ids", type_=ARRAY(affected.ci_id.type))
    links = insert(affected).from_select(
        ["tenant_id", "incident_id", "ci_id"],
        select(created.c.tenant_id, created.c.id, func.unnest(affected_ids)),
    )
    return select(created).add_cte(
        *_recorded(created, ChangeKind.CREATED, changes), links.cte("affected")
    )


def _recorded(changed: CTE, kind: ChangeKind, changes: ColumnElement[Any]) -> tuple[CTE, CTE]:
    """CTEs `history` and `event`: what `record_change` adds, for each incident a statement
    writes (`changed`, a CTE returning their rows), by that statement; the `actor_id`
    parameter is the actor."""
    history = insert(tables.IncidentChange).from_select(
        ["tenant_id", "incident_id", "actor_id", "kind", "changes"],
        select(
            changed.c.tenant_id,
            changed.c.id,
            bindparam("actor_id", type_=tables.IncidentChange.actor_id.type),
            literal(kind.value),
            changes,
        ),
    )
    return history.cte("history"), insert_incident_events(changed, kind, changes).cte("event")


# The row's columns a create sets (opened_at aside: the database's now() unless given).
ROW_COLUMNS = (
    "title",
    "description",
    "status",
    "priority",
    "priority_overridden",
    "impact",
    "urgency",
    "category",
    "source",
    "external_id",
    "assignee_id",
    "team_id",
    "reporter_id",
    "ci_id",
    "integration_id",
    "parent_id",
    "alert_count",
    "last_alert_at",
    "tags",
    "custom_fields",
)
INSERT = _insert()


async def update_incident(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    update: IncidentUpdate,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    row = await get_for_update(session, tenant_id, id)
    was_final = IncidentStatus(row.status) in rules.FINAL
    diff = Diff()
    await set_work_fields(session, row, update, diff, WORK_ITEM)
    rate(row, diff, update.impact, update.urgency, update.priority)
    set_labels(row, update, diff)
    if was_final and diff.fields:
        # Raising inside the unit of work rolls back the attribute changes made above.
        raise Conflict(f"A {row.status} incident cannot be changed", field="status")
    if diff.fields:
        await session.flush()
        await session.refresh(row)
        record_change(session, row, ChangeKind.UPDATED, diff, actor)
    return row, diff.fields


def set_labels(row: Any, update: IncidentUpdate, diff: Diff) -> None:
    """Tags and custom field values of an update (issue 19): tags replaced as a set, values
    merged and checked against the tenant's fields (BAD_USER_INPUT naming the field)."""
    if update.tags is not UNCHANGED:
        diff.set(row, "tags", tags.tag_set(update.tags, "input.tags"))
    if update.custom_fields is not UNCHANGED:
        catalogue: FieldCatalogue
        catalogue, patch = update.custom_fields
        values, changes = updated_values(catalogue, row.custom_fields or {}, patch)
        if changes:
            row.custom_fields = values
            diff.fields.update(changes)


async def assign_incident(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    assignee_id: uuid.UUID,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """Hand the incident to `assignee_id`: one statement locks it, assigns it and records the
    change (history, event), and returns the row as it left it (issue 17). Where it assigns
    nothing, the row locked tells why: NOT_FOUND, CONFLICT when final, or already theirs."""
    parameters = {"tenant": tenant_id, "incident": id, "assignee": assignee_id, "actor_id": actor}
    row = (await session.execute(ASSIGN, parameters)).one_or_none()
    if row is None:
        row = await get_for_update(session, tenant_id, id)
        if IncidentStatus(row.status) in rules.FINAL:
            raise Conflict(f"A {row.status} incident cannot be reassigned", field="id")
        if row.assignee_id == assignee_id:
            return row, {}
        # Changed hands between the two statements; locked now, it is assigned.
        row = (await session.execute(ASSIGN, parameters)).one()
    return row, {"assigneeId": [plain(row.previous_assignee_id), plain(row.assignee_id)]}


def _assign() -> Select[Any]:
    """`assign_incident`'s statement, built once: the incident (`tenant`, `incident`) given
    to `assignee` unless final or theirs already, its row returned with
    `previous_assignee_id`; the change recorded by `actor_id`. (Parameters named as columns
    of the table updated would be taken for more columns to set.)"""
    incidents = tables.Incident.__table__
    assert isinstance(incidents, Table)
    assignee = bindparam("assignee", type_=incidents.c.assignee_id.type)
    # Locked first, so that what it returns is the assignee the update replaces.
    previous = (
        select(incidents.c.id, incidents.c.assignee_id)
        .where(
            incidents.c.tenant_id == bindparam("tenant", type_=incidents.c.tenant_id.type),
            incidents.c.id == bindparam("incident", type_=incidents.c.id.type),
        )
        .with_for_update()
        .subquery("previous")
    )
    assigned = (
        update(incidents)
        .where(
            incidents.c.id == previous.c.id,
            incidents.c.status.not_in(sorted(status.value for status in rules.FINAL)),
            incidents.c.assignee_id.is_distinct_from(assignee),
        )
        .values(assignee_id=assignee)
        .returning(*incidents.c, previous.c.assignee_id.label("previous_assignee_id"))
        .cte("assigned")
    )
    changes = func.jsonb_build_object(
        "assigneeId",
        func.jsonb_build_array(
            cast(assigned.c.previous_assignee_id, String), cast(assigned.c.assignee_id, String)
        ),
    )
    return select(assigned).add_cte(*_recorded(assigned, ChangeKind.ASSIGNED, changes))


ASSIGN = _assign()


async def add_comment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    incident_id: uuid.UUID,
    body: str,
    visibility: CommentVisibility,
    author_id: uuid.UUID | None,
    source_event: int | None = None,
    mentions: Sequence[uuid.UUID] = (),
) -> Any:
    incident = await get_for_update(session, tenant_id, incident_id)
    comment = tables.IncidentComment(
        tenant_id=tenant_id,
        incident_id=incident_id,
        author_id=author_id,
        body=text(body, "body", rules.COMMENT_MAX, required=True),
        visibility=visibility.value,
        source_event=source_event,
        mention_ids=list(mentions),
    )
    session.add(comment)
    incident.updated_at = func.now()
    await session.flush()
    await session.refresh(comment)
    diff = Diff(comment_changes(comment))
    record_change(session, incident, ChangeKind.COMMENTED, diff, author_id)
    return comment


def comment_changes(comment: Any) -> Changes:
    """A comment's history entry and event: its id, and the users it mentions, if any (what
    notifications will read)."""
    changes: Changes = {"comment": [None, str(comment.id)]}
    if comment.mention_ids:
        changes["mentions"] = [None, [str(id) for id in comment.mention_ids]]
    return changes
