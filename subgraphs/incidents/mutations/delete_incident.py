"""deleteIncident and restoreIncident: a soft delete, undone within 30 days (deletion.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.incidents import deletion, permissions, rules
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident


@strawberry.type(description="A deleted incident: restorable until `restorableUntil`.")
class IncidentDeletion:
    id: strawberry.ID = strawberry.field(description="The incident's id.")
    number: str = strawberry.field(description="Its number (never given to another incident).")
    deleted_at: datetime = strawberry.field(description="When it was deleted.")
    reason: str = strawberry.field(description="Why it was deleted.")
    restorable_until: datetime = strawberry.field(
        description="restoreIncident brings it back until then; it is purged after."
    )


@strawberry.mutation(
    description="Delete an incident: it leaves every list, count, lookup and subscription, and "
    "stays in the audit log; restoreIncident brings it back within 30 days, after which it is "
    "purged (its number is never reused). NOT_FOUND for an unknown (or already deleted) "
    "incident; BAD_USER_INPUT for an empty reason or one over 2000 characters.",
    extensions=requires(permissions.DELETE),
)
async def delete_incident(
    info: strawberry.Info, id: strawberry.ID, reason: str
) -> IncidentDeletion:
    ctx = info.context
    incident_id = parse_id(id)
    async with audited(info) as (session, audit):
        row, changes = await deletion.delete_incident(
            session, ctx.tenant_id, incident_id, reason, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return IncidentDeletion(
        id=strawberry.ID(str(row.id)),
        number=rules.format_number(row.number),
        deleted_at=row.deleted_at,
        reason=row.delete_reason,
        restorable_until=row.deleted_at + timedelta(days=deletion.RESTORE_DAYS),
    )


@strawberry.mutation(
    description="Bring a deleted incident back, as it was. NOT_FOUND for an unknown (or "
    "purged) incident; CONFLICT more than 30 days after its deletion. An incident that is not "
    "deleted is answered unchanged.",
    extensions=requires(permissions.DELETE),
)
async def restore_incident(info: strawberry.Info, id: strawberry.ID) -> Incident:
    ctx = info.context
    incident_id = parse_id(id)
    async with audited(info) as (session, audit):
        row, changes = await deletion.restore_incident(
            session, ctx.tenant_id, incident_id, ctx.actor_id
        )
        if changes:
            audit.entity("Incident", row.id)
            audit.changed(changes)
        else:
            audit.nothing_changed()
    return changed(info, row)
