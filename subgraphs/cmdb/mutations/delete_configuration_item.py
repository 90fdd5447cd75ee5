"""deleteConfigurationItem: remove a CI that nothing refers to."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.cmdb import permissions, service
from subgraphs.cmdb.loaders import ChangesByCiIdLoader, CiByIdLoader


@strawberry.mutation(
    description="Delete a configuration item with its history; returns its id. Only when "
    "nothing refers to it: CONFLICT while an incident names it (as its ci or among its "
    "affectedCis, open or closed; known from the incidents' events, a moment after they "
    "commit), it has relationships or another CI's attribute refers to it (retire it "
    "instead). NOT_FOUND for an unknown CI.",
    extensions=requires(permissions.EDIT),
)
async def delete_configuration_item(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    ctx = info.context
    ci_id = parse_id(id)
    async with audited(info) as (session, audit):
        values = await service.delete_configuration_item(session, ctx.tenant_id, ci_id)
        audit.entity("ConfigurationItem", ci_id)
        audit.deleted(values)
    ctx.loaders.get(CiByIdLoader).clear(ci_id)
    ctx.loaders.get(ChangesByCiIdLoader).clear(ci_id)
    return strawberry.ID(str(ci_id))
