"""updateConfigurationItem: change a CI's fields and attributes."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.arguments import given, given_id
from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.cmdb import permissions, service
from subgraphs.cmdb.inputs import UpdateConfigurationItemInput
from subgraphs.cmdb.mutations.common import changed, json_object
from subgraphs.cmdb.types import ConfigurationItem


@strawberry.mutation(
    description="Change a configuration item. Omitted fields stay; attributes are patched "
    "(null removes one) and the result is validated against its class (BAD_USER_INPUT naming "
    "the attribute). CONFLICT for a RETIRED CI or a name its class already has; NOT_FOUND for "
    "an unknown CI, owner or team. Nothing changed: nothing written.",
    extensions=requires(permissions.EDIT),
)
async def update_configuration_item(
    info: strawberry.Info, id: strawberry.ID, input: UpdateConfigurationItemInput
) -> ConfigurationItem:
    ctx = info.context
    attributes = given(input.attributes)
    update = service.CiUpdate(
        name=given(input.name),
        status=given(input.status),
        environment=given(input.environment),
        criticality=given(input.criticality),
        owner_id=given_id(input.owner_id, "input.ownerId"),
        support_team_id=given_id(input.support_team_id, "input.supportTeamId"),
        attributes=json_object(attributes, "input.attributes")
        if attributes not in (None, service.UNCHANGED)
        else attributes,
        redundancy_required=given(input.redundancy_required),
    )
    if isinstance(update.owner_id, uuid.UUID):
        await require_references(info, "User", {"input.ownerId": update.owner_id})
    if isinstance(update.support_team_id, uuid.UUID):
        await require_references(info, "Team", {"input.supportTeamId": update.support_team_id})
    async with audited(info) as (session, audit):
        row, changes = await service.update_configuration_item(
            session, ctx.tenant_id, parse_id(id), update, ctx.actor_id
        )
        audit.entity("ConfigurationItem", row.id)
        audit.changed(changes)
    return changed(info, row)
