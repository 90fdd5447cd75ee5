"""The custom fields' GraphQL: the definitions as `IncidentField`, `incidentFields` and
`createIncidentField` (permission incident:admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from resolvers.audit import audited
from resolvers.permissions import requires
from subgraphs.incidents import permissions
from subgraphs.incidents.custom_fields import service, tables
from subgraphs.incidents.custom_fields.definitions import IncidentFieldType
from subgraphs.incidents.custom_fields.inputs import CreateIncidentFieldInput


@strawberry.type(description="A custom field of the tenant's incidents.")
class IncidentField:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="The key of its values in Incident.customFields.")
    type: IncidentFieldType = strawberry.field(description="The type of its values.")
    required: bool = strawberry.field(description="Whether every new incident must have one.")
    enum_values: list[str] | None = strawberry.field(
        description="The values an ENUM field may take; null for the other types."
    )
    created_at: datetime = strawberry.field(description="When it was defined.")

    @classmethod
    def from_row(cls, row: Any) -> IncidentField:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            type=IncidentFieldType(row.type),
            required=row.required,
            enum_values=list(row.enum_values) if row.enum_values is not None else None,
            created_at=row.created_at,
        )


@strawberry.field(
    description="The custom fields of the tenant's incidents, by name.",
    extensions=requires(permissions.VIEW),
)
async def incident_fields(info: strawberry.Info) -> list[IncidentField]:
    t = tables.IncidentField
    rows = await info.context.db.rows(
        select(t.__table__).where(t.tenant_id == info.context.tenant_id).order_by(t.name)
    )
    return [IncidentField.from_row(row) for row in rows]


@strawberry.mutation(
    description="Define a custom field of the tenant's incidents; their values are set with "
    "customFields on createIncident and updateIncident. BAD_USER_INPUT for a bad name, an "
    "ENUM field without enumValues or another type with them; CONFLICT for a name the tenant "
    "has or beyond 50 fields.",
    extensions=requires(permissions.ADMIN),
)
async def create_incident_field(
    info: strawberry.Info, input: CreateIncidentFieldInput
) -> IncidentField:
    ctx = info.context
    new = service.NewField(
        name=input.name, type=input.type, required=input.required, enum_values=input.enum_values
    )
    async with audited(info) as (session, audit):
        row = await service.create_field(session, ctx.tenant_id, new)
        audit.entity("IncidentField", row.id)
        audit.changed(service.created_changes(row))
    return IncidentField.from_row(row)
