"""updateIncidentSettings: the tenant's incident settings (the reopen window)."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.errors import BadUserInput
from resolvers.permissions import requires
from subgraphs.incidents import auto_close, permissions, transitions
from subgraphs.incidents.inputs import UpdateIncidentSettingsInput
from subgraphs.incidents.lifecycle_types import IncidentSettings


@strawberry.mutation(
    description="Change the tenant's incident settings (the fields given). BAD_USER_INPUT "
    "for a reopen window or auto-close days outside 0-365, or neither given.",
    extensions=requires(permissions.ADMIN),
)
async def update_incident_settings(
    info: strawberry.Info, input: UpdateIncidentSettingsInput
) -> IncidentSettings:
    ctx = info.context
    if input.reopen_window_days is None and input.auto_close_days is None:
        raise BadUserInput("Give reopenWindowDays, autoCloseDays or both", field="reopenWindowDays")
    async with audited(info) as (session, audit):
        if input.reopen_window_days is not None:
            row, changes = await transitions.update_settings(
                session, ctx.tenant_id, input.reopen_window_days
            )
            audit.entity("IncidentSettings", row.id)
            audit.changed(changes)
        if input.auto_close_days is not None:
            row, changes = await auto_close.update_days(
                session, ctx.tenant_id, input.auto_close_days
            )
            audit.entity("IncidentSettings", row.id)
            audit.changed(changes)
    return IncidentSettings.of(row)
