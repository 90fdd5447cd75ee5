"""The family's root fields: parent/child links, major incidents, duplicates, watchers.
Thin: arguments in, one call into the family's services inside an audited unit of work,
the incident out."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import strawberry

from resolvers.audit import AuditRecord, audited
from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from resolvers.permissions import check, requires
from resolvers.references import require_references
from subgraphs.incidents import permissions
from subgraphs.incidents.family import duplicates, major, parentage, watchers
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident

IncidentId = Annotated[strawberry.ID, strawberry.argument(description="The incident's id.")]
Reason = Annotated[str, strawberry.argument(description="Why (1-2000 characters).")]


@strawberry.mutation(
    description="Make an incident the child of another (parentId), or no one's (parentId "
    "null). The family is one level deep: a child cannot have children and a parent cannot "
    "become a child, so no incident is its own ancestor. Naming the incident itself is "
    "BAD_USER_INPUT; a parent that is a child, an incident that has children, a closed or "
    "cancelled incident on either side is CONFLICT (extensions.field says which argument); "
    "an unknown id NOT_FOUND. Nothing changes on a refusal.",
    extensions=requires(permissions.UPDATE),
)
async def set_incident_parent(
    info: strawberry.Info,
    id: IncidentId,
    parent_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="The parent incident's id; null clears the parent."),
    ],
) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    parent = None if parent_id is None else parse_id(parent_id, "parentId")
    async with audited(info) as (session, audit):
        row, changes = await parentage.set_parent(
            session, ctx.tenant_id, incident_id, parent, ctx.actor_id
        )
        if not changes:
            audit.nothing_changed()
        else:
            audit.entity("Incident", row.id)
            audit.changed(changes)
    return changed(info, row)


@strawberry.mutation(
    description="Propose an incident as a major incident, saying why; a holder of "
    "incident:major accepts or rejects the proposal. CONFLICT when it is already proposed or "
    "accepted, or closed or cancelled; BAD_USER_INPUT for an empty reason.",
    extensions=requires(permissions.UPDATE),
)
async def propose_major_incident(info: strawberry.Info, id: IncidentId, reason: Reason) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    async with audited(info) as (session, audit):
        row, changes = await major.propose(
            session, ctx.tenant_id, incident_id, reason, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return changed(info, row)


@strawberry.mutation(
    description="Accept a proposed major incident: it becomes a major incident (`major`), "
    "listed by majorIncidents; it no longer pushes its status to its children and never "
    "closes by itself. CONFLICT unless it is PROPOSED.",
    extensions=requires(permissions.MAJOR),
)
async def accept_major_incident(info: strawberry.Info, id: IncidentId) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    async with audited(info) as (session, audit):
        row, changes = await major.accept(session, ctx.tenant_id, incident_id, ctx.actor_id)
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return changed(info, row)


@strawberry.mutation(
    description="Reject a major incident proposal, saying why (it may be proposed again). "
    "CONFLICT unless it is PROPOSED; BAD_USER_INPUT for an empty reason.",
    extensions=requires(permissions.MAJOR),
)
async def reject_major_incident(info: strawberry.Info, id: IncidentId, reason: Reason) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    async with audited(info) as (session, audit):
        row, changes = await major.reject(session, ctx.tenant_id, incident_id, reason, ctx.actor_id)
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return changed(info, row)


@strawberry.mutation(
    description="Mark an incident a duplicate of another (`of`): it is cancelled with reason "
    "DUPLICATE, its watchers move to the original, and both are linked (`duplicateOf`, "
    "`duplicates`). Answers the duplicate. BAD_USER_INPUT when `of` is the incident itself; "
    "CONFLICT when the incident cannot be cancelled (CLOSED or CANCELLED) or the original is "
    "a duplicate or cancelled; NOT_FOUND for an unknown id.",
    extensions=requires(permissions.UPDATE),
)
async def mark_duplicate(
    info: strawberry.Info,
    id: IncidentId,
    of: Annotated[strawberry.ID, strawberry.argument(description="The original's id.")],
) -> Incident:
    ctx = info.context
    incident_id, original_id = parse_id(id), parse_id(of, "of")
    async with audited(info) as (session, audit):
        merge = await duplicates.mark_duplicate(
            session, ctx.tenant_id, incident_id, original_id, ctx.actor_id
        )
        audit.entity("Incident", merge.duplicate.id)
        audit.changed(merge.changes)
    changed(info, merge.original)
    return changed(info, merge.duplicate)


WatcherId = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The watching user (a User id); default the caller. Naming another user "
        "needs incident:update (agents keep watch lists)."
    ),
]


def _watcher(info: strawberry.Info, user_id: strawberry.ID | None) -> tuple[uuid.UUID, bool]:
    """The watcher's id, and whether it is someone other than the caller."""
    ctx = info.context
    if user_id is None:
        if ctx.actor_id is None:
            raise BadUserInput(
                "This caller is no user: name the watching user (userId)", argument="userId"
            )
        return ctx.actor_id, False
    watcher = parse_id(user_id, "userId")
    if watcher != ctx.actor_id:
        check(ctx.principal, permissions.UPDATE)
        return watcher, True
    return watcher, False


@strawberry.mutation(
    description="Watch an incident (the caller, or the user named): watchers are told of its "
    "changes. Watching an incident one watches changes nothing.",
    extensions=requires(permissions.VIEW),
)
async def watch_incident(
    info: strawberry.Info, id: IncidentId, user_id: WatcherId = None
) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    watcher, other = _watcher(info, user_id)
    if other:
        await require_references(info, "User", {"userId": watcher})
    async with audited(info) as (session, audit):
        row, changes = await watchers.watch(session, ctx.tenant_id, incident_id, watcher)
        _audit_watch(audit, row, changes)
    return changed(info, row)


@strawberry.mutation(
    description="Stop watching an incident (the caller, or the user named). Unwatching an "
    "incident one does not watch changes nothing.",
    extensions=requires(permissions.VIEW),
)
async def unwatch_incident(
    info: strawberry.Info, id: IncidentId, user_id: WatcherId = None
) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    watcher, _ = _watcher(info, user_id)
    async with audited(info) as (session, audit):
        row, changes = await watchers.unwatch(session, ctx.tenant_id, incident_id, watcher)
        _audit_watch(audit, row, changes)
    return changed(info, row)


def _audit_watch(audit: AuditRecord, row: Any, changes: dict[str, list[Any]]) -> None:
    if not changes:
        audit.nothing_changed()
        return
    audit.entity("Incident", row.id)
    audit.changed(changes)
