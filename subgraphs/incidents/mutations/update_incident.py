"""updateIncident: change fields and/or move the status along the transition table."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.arguments import given, given_id, parse_ids
from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.incidents import permissions, service
from subgraphs.incidents.custom_fields import definitions
from subgraphs.incidents.inputs import UpdateIncidentInput
from subgraphs.incidents.mutations.common import changed, require_cis
from subgraphs.incidents.types import Incident


@strawberry.mutation(
    description="Change an incident's fields (its status moves with transitionIncident). "
    "Omitted fields stay; a change to a CLOSED/CANCELLED incident is a CONFLICT error and "
    "changes nothing; a team or configuration item that is not one of the tenant's is "
    "NOT_FOUND; tags replace the incident's, customFields merge into its values (BAD_USER_INPUT "
    "naming the tag or field for a bad one, and nothing changes).",
    extensions=requires(permissions.UPDATE),
)
async def update_incident(
    info: strawberry.Info, id: strawberry.ID, input: UpdateIncidentInput
) -> Incident:
    ctx = info.context
    affected = given(input.affected_ci_ids)
    tags = given(input.tags)
    patch = given(input.custom_fields)
    custom_fields = service.UNCHANGED
    if patch is not service.UNCHANGED:
        fields = await definitions.read_catalogue(ctx.db, ctx.tenant_id)
        checked = definitions.patch_values(fields, patch)
        await require_references(info, "User", fields.users(checked))
        custom_fields = (fields, patch)
    update = service.IncidentUpdate(
        title=given(input.title),
        description=given(input.description),
        impact=given(input.impact),
        urgency=given(input.urgency),
        priority=given(input.priority),
        category=given(input.category),
        team_id=given_id(input.team_id, "input.teamId"),
        ci_id=given_id(input.ci_id, "input.ciId"),
        affected_ci_ids=affected
        if affected is service.UNCHANGED
        else parse_ids(affected or (), "input.affectedCiIds"),
        tags=tags if tags is service.UNCHANGED else tags or (),
        custom_fields=custom_fields,
    )
    if isinstance(update.team_id, uuid.UUID):
        await require_references(info, "Team", {"input.teamId": update.team_id})
    await require_cis(
        info,
        update.ci_id if isinstance(update.ci_id, uuid.UUID) else None,
        () if update.affected_ci_ids is service.UNCHANGED else update.affected_ci_ids,
    )
    async with audited(info) as (session, audit):
        row, changes = await service.update_incident(
            session, ctx.tenant_id, parse_id(id), update, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    return changed(info, row)
