"""assignIncident: hand an incident to a user."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.incidents import permissions, service
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident


@strawberry.mutation(
    description="Assign an incident to a user. NOT_FOUND for an unknown incident or a user "
    "who is not one of the tenant's; CONFLICT when it is CLOSED or CANCELLED.",
    extensions=requires(permissions.ASSIGN),
)
async def assign_incident(
    info: strawberry.Info, id: strawberry.ID, user_id: strawberry.ID
) -> Incident:
    ctx = info.context
    incident_id, assignee_id = parse_id(id), parse_id(user_id, "userId")
    await require_references(info, "User", {"userId": assignee_id})
    async with audited(info) as (session, audit):
        row, changes = await service.assign_incident(
            session, ctx.tenant_id, incident_id, assignee_id, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return changed(info, row)
