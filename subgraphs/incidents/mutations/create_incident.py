"""createIncident: open a new incident with the next number of the tenant."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.incidents import permissions, service
from subgraphs.incidents.inputs import CreateIncidentInput
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident


def _optional_id(value: strawberry.ID | None, name: str) -> uuid.UUID | None:
    return parse_id(value, name) if value is not None else None


@strawberry.mutation(
    description="Open an incident. BAD_USER_INPUT for an empty or over-long title; CONFLICT "
    "when an incident with the same source and externalId exists.",
    extensions=requires(permissions.CREATE),
)
async def create_incident(info: strawberry.Info, input: CreateIncidentInput) -> Incident:
    ctx = info.context
    new = service.NewIncident(
        title=input.title,
        description=input.description,
        impact=input.impact,
        urgency=input.urgency,
        priority=input.priority,
        category=input.category,
        source=input.source,
        external_id=input.external_id,
        assignee_id=_optional_id(input.assignee_id, "input.assigneeId"),
        team_id=_optional_id(input.team_id, "input.teamId"),
        reporter_id=_optional_id(input.reporter_id, "input.reporterId"),
        opened_at=input.opened_at,
    )
    async with ctx.db.unit_of_work() as session:
        row = await service.create_incident(session, ctx.tenant_id, new, ctx.actor_id)
    return changed(info, row)
