"""retireConfigurationItem: take a CI out of service for good."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.cmdb import permissions, service
from subgraphs.cmdb.mutations.common import changed
from subgraphs.cmdb.types import ConfigurationItem


@strawberry.mutation(
    description="Retire a configuration item: RETIRED is final; the CI keeps its history and "
    "relationships. NOT_FOUND for an unknown CI; CONFLICT when it is retired already.",
    extensions=requires(permissions.EDIT),
)
async def retire_configuration_item(info: strawberry.Info, id: strawberry.ID) -> ConfigurationItem:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await service.retire_configuration_item(
            session, ctx.tenant_id, parse_id(id), ctx.actor_id
        )
        audit.entity("ConfigurationItem", row.id)
        audit.changed(changes)
    return changed(info, row)
