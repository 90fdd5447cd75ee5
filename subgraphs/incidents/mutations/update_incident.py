"""updateIncident: change fields and/or move the status along the transition table."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.incidents import permissions, service
from subgraphs.incidents.inputs import UpdateIncidentInput
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident


def _given(value: Any) -> Any:
    return service.UNCHANGED if value is strawberry.UNSET else value


@strawberry.mutation(
    description="Change an incident. Omitted fields stay; an illegal status transition or a "
    "change to a CLOSED/CANCELLED incident is a CONFLICT error and changes nothing; a team "
    "that is not one of the tenant's is NOT_FOUND.",
    extensions=requires(permissions.UPDATE),
)
async def update_incident(
    info: strawberry.Info, id: strawberry.ID, input: UpdateIncidentInput
) -> Incident:
    ctx = info.context
    team_id = _given(input.team_id)
    update = service.IncidentUpdate(
        title=_given(input.title),
        description=_given(input.description),
        impact=_given(input.impact),
        urgency=_given(input.urgency),
        priority=_given(input.priority),
        category=_given(input.category),
        team_id=parse_id(team_id, "input.teamId")
        if team_id not in (None, service.UNCHANGED)
        else team_id,
        status=_given(input.status),
    )
    if isinstance(update.team_id, uuid.UUID):
        await require_references(info, "Team", {"input.teamId": update.team_id})
    async with audited(info) as (session, audit):
        row, changes = await service.update_incident(
            session, ctx.tenant_id, parse_id(id), update, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return changed(info, row)
