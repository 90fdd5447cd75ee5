"""linkIncidents and unlinkIncident: which incidents a problem causes (an incident links to
one problem at most)."""

from __future__ import annotations

import strawberry

from resolvers.arguments import parse_ids
from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.problems import permissions, service
from subgraphs.problems.mutations.common import changed, require_incidents
from subgraphs.problems.types import Problem


@strawberry.mutation(
    description="Link incidents to a problem (those linked to it already stay). NOT_FOUND "
    "naming the id that is not one of the tenant's incidents; CONFLICT when one is linked to "
    "another problem, or the problem is CLOSED or CANCELLED; nothing is linked then.",
    extensions=requires(permissions.UPDATE),
)
async def link_incidents(
    info: strawberry.Info, problem_id: strawberry.ID, incident_ids: list[strawberry.ID]
) -> Problem:
    ctx = info.context
    key = parse_id(problem_id, "problemId")
    wanted = parse_ids(incident_ids, "incidentIds")
    await require_incidents(info, wanted, "incidentIds")
    async with audited(info) as (session, audit):
        row, changes = await service.link_incidents(
            session, ctx.tenant_id, key, wanted, ctx.actor_id
        )
        audit.entity("Problem", row.id)
        if changes:
            audit.changed(changes)
        else:
            audit.nothing_changed()
    return changed(info, row, wanted)


@strawberry.mutation(
    description="Unlink an incident from a problem. NOT_FOUND when it is not linked to it; "
    "CONFLICT when the problem is CLOSED or CANCELLED.",
    extensions=requires(permissions.UPDATE),
)
async def unlink_incident(
    info: strawberry.Info, problem_id: strawberry.ID, incident_id: strawberry.ID
) -> Problem:
    ctx = info.context
    key, incident = parse_id(problem_id, "problemId"), parse_id(incident_id, "incidentId")
    async with audited(info) as (session, audit):
        row, changes = await service.unlink_incident(
            session, ctx.tenant_id, key, incident, ctx.actor_id
        )
        audit.entity("Problem", row.id)
        audit.changed(changes)
    return changed(info, row, [incident])
