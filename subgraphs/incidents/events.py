"""Events the incident domain writes to the outbox, one per committed change.

Every incident event carries, beside the incident's id, number and what changed, the fields
people route on (`state`): its status, priority (by name), team and assignee as they are
after the change. A webhook's filter (`priority` in CRITICAL, HIGH and `teamId` is the
Network team's) then holds or not on any event of the incident, not only on the one that
changed those fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, ColumnElement, Insert, String, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import insert_events, record_event
from subgraphs.incidents import tables
from subgraphs.incidents.enums import ChangeKind
from subgraphs.incidents.rules import PRIORITY_BY_RANK

DOMAIN = "incidents"  # the subgraph owning the entity (caches key on it)

EVENT_KIND: dict[ChangeKind, str] = {
    ChangeKind.CREATED: "incident.created",
    ChangeKind.UPDATED: "incident.updated",
    ChangeKind.ASSIGNED: "incident.assigned",
    ChangeKind.STATUS_CHANGED: "incident.status_changed",
    ChangeKind.COMMENTED: "incident.commented",
    ChangeKind.DELETED: "incident.deleted",
    ChangeKind.RESTORED: "incident.restored",
    ChangeKind.PARENT_CHANGED: "incident.parent_changed",
    ChangeKind.MAJOR_CHANGED: "incident.major_changed",
    ChangeKind.DUPLICATE_MARKED: "incident.duplicate_marked",
    ChangeKind.DUPLICATE_MERGED: "incident.duplicate_merged",
    ChangeKind.WATCHERS_CHANGED: "incident.watchers_changed",
    ChangeKind.ATTACHMENT_ADDED: "incident.attachment_added",
    ChangeKind.ATTACHMENT_REMOVED: "incident.attachment_removed",
}

SETTINGS_UPDATED = "incident.settings_updated"
"""A tenant's incident settings changed (entity `IncidentSettings`)."""


def record_incident_event(
    session: AsyncSession, incident: tables.Incident, kind: ChangeKind, changes: dict[str, Any]
) -> None:
    record_event(
        session,
        tenant_id=incident.tenant_id,
        domain=DOMAIN,
        kind=EVENT_KIND[kind],
        entity_type="Incident",
        entity_id=incident.id,
        payload={
            "id": str(incident.id),
            "number": incident.number,
            **state(incident),
            "changes": changes,
        },
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def state(incident: Any) -> dict[str, Any]:
    """The incident's routing fields as every event carries them."""
    return {
        "status": incident.status,
        "priority": PRIORITY_BY_RANK[incident.priority].value,
        "teamId": _text(incident.team_id),
        "assigneeId": _text(incident.assignee_id),
    }


def insert_incident_events(changed: CTE, kind: ChangeKind, changes: ColumnElement[Any]) -> Insert:
    """The `kind` event of each incident a statement writes (`changed`, a CTE returning their
    rows), written by that statement: the payload is `record_incident_event`'s, as the row is
    after the change (the number a create allocated included)."""
    priority_name = case(
        {rank: priority.value for rank, priority in PRIORITY_BY_RANK.items()},
        value=changed.c.priority,
    )
    payload = func.jsonb_build_object(
        "id",
        cast(changed.c.id, String),
        "number",
        changed.c.number,
        "status",
        changed.c.status,
        "priority",
        priority_name,
        "teamId",
        cast(changed.c.team_id, String),
        "assigneeId",
        cast(changed.c.assignee_id, String),
        "changes",
        changes,
    )
    return insert_events(
        select(
            changed.c.tenant_id,
            literal(DOMAIN),
            literal(EVENT_KIND[kind]),
            literal("Incident"),
            changed.c.id,
            payload,
        )
    )


def record_settings_event(
    session: AsyncSession, tenant_id: Any, settings_id: Any, changes: dict[str, Any]
) -> None:
    record_event(
        session,
        tenant_id=tenant_id,
        domain=DOMAIN,
        kind=SETTINGS_UPDATED,
        entity_type="IncidentSettings",
        entity_id=settings_id,
        payload={"id": str(settings_id), "changes": changes},
    )
