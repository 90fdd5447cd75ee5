"""updateIncidentSettings: the tenant's incident settings (the reopen window)."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.permissions import requires
from subgraphs.incidents import permissions, transitions
from subgraphs.incidents.inputs import UpdateIncidentSettingsInput
from subgraphs.incidents.lifecycle_types import IncidentSettings


@strawberry.mutation(
    description="Change the tenant's incident settings. BAD_USER_INPUT for a reopen window "
    "outside 0-365 days.",
    extensions=requires(permissions.ADMIN),
)
async def update_incident_settings(
    info: strawberry.Info, input: UpdateIncidentSettingsInput
) -> IncidentSettings:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await transitions.update_settings(
            session, ctx.tenant_id, input.reopen_window_days
        )
        audit.entity("IncidentSettings", row.id)
        audit.changed(changes)
    return IncidentSettings.of(row)
