"""createIncident: open a new incident with the next number of the tenant."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.arguments import parse_ids
from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.incidents import permissions, service
from subgraphs.incidents.custom_fields import definitions
from subgraphs.incidents.inputs import CreateIncidentInput
from subgraphs.incidents.loaders import IncidentByIdLoader
from subgraphs.incidents.mutations.common import changed, require_cis
from subgraphs.incidents.types import Incident


def _optional_id(value: strawberry.ID | None, name: str) -> uuid.UUID | None:
    return parse_id(value, name) if value is not None else None


@strawberry.mutation(
    description="Open an incident. BAD_USER_INPUT for an empty or over-long title; NOT_FOUND "
    "naming the argument for an assignee, reporter, team or configuration item that is not "
    "one of the tenant's; BAD_USER_INPUT naming the tag or the custom field for a bad tag or "
    "a custom field value that is unknown, of the wrong type, outside its enum or missing "
    "when required; "
    "CONFLICT when an incident with the same source and externalId exists.",
    extensions=requires(permissions.CREATE),
)
async def create_incident(info: strawberry.Info, input: CreateIncidentInput) -> Incident:
    ctx = info.context
    # Read every time: the tenant's required fields hold whether values are given or not.
    fields = await definitions.read_catalogue(ctx.db, ctx.tenant_id)
    custom, _ = definitions.created_values(fields, input.custom_fields)
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
        ci_id=_optional_id(input.ci_id, "input.ciId"),
        affected_ci_ids=parse_ids(input.affected_ci_ids, "input.affectedCiIds"),
        opened_at=input.opened_at,
        tags=input.tags,
        custom_fields=custom,
    )
    await require_references(
        info,
        "User",
        {
            "input.assigneeId": new.assignee_id,
            "input.reporterId": new.reporter_id,
            **fields.users(custom),
        },
    )
    await require_references(info, "Team", {"input.teamId": new.team_id})
    await require_cis(info, new.ci_id, new.affected_ci_ids)
    incident = service.prepare_incident(ctx.tenant_id, new, ctx.actor_id)
    async with audited(info, read_after=True) as (session, audit):
        audit.entity("Incident", incident.id)
        audit.changed(incident.changes)
        await service.insert_incident(session, incident)
    # Numbered as it committed (db/numbering.py): read back with its number.
    return changed(info, await ctx.loaders.get(IncidentByIdLoader).load(incident.id))
