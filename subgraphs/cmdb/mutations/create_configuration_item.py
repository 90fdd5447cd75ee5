"""createConfigurationItem: add a CI of a class, its attributes validated against the class."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.cmdb import permissions, service
from subgraphs.cmdb.inputs import CreateConfigurationItemInput
from subgraphs.cmdb.mutations.common import changed, json_object, optional_id
from subgraphs.cmdb.types import ConfigurationItem


@strawberry.mutation(
    description="Create a configuration item. BAD_USER_INPUT for an unknown class, an empty or "
    "over-long name, a criticality outside 1-4 or an attribute value its class refuses (the "
    "attribute named); NOT_FOUND for an owner, team or referenced CI that is not the tenant's; "
    "CONFLICT when its class has a CI of that name or its source has one with that externalId.",
    extensions=requires(permissions.EDIT),
)
async def create_configuration_item(
    info: strawberry.Info, input: CreateConfigurationItemInput
) -> ConfigurationItem:
    ctx = info.context
    new = service.NewCi(
        class_name=input.class_name,
        name=input.name,
        status=input.status,
        environment=input.environment,
        criticality=input.criticality,
        owner_id=optional_id(input.owner_id, "input.ownerId"),
        support_team_id=optional_id(input.support_team_id, "input.supportTeamId"),
        attributes=json_object(input.attributes or {}, "input.attributes"),
        source=input.source,
        external_id=input.external_id,
        redundancy_required=input.redundancy_required,
    )
    await require_references(info, "User", {"input.ownerId": new.owner_id})
    await require_references(info, "Team", {"input.supportTeamId": new.support_team_id})
    async with audited(info) as (session, audit):
        row, changes = await service.create_configuration_item(
            session, ctx.tenant_id, new, ctx.actor_id
        )
        audit.entity("ConfigurationItem", row.id)
        audit.changed(changes)
    return changed(info, row)
