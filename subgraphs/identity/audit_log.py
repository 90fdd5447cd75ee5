"""The audit log as the API shows it: records of committed mutations, newest first.

Records are written by `resolvers.audit` for every mutation of every subgraph; identity
serves them because it owns the actors (`User`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from db.tables import audit as tables
from resolvers.ids import parse_id
from resolvers.loaders import load_by_id
from resolvers.pagination import Connection, Pagination, SortOrder, paginate
from resolvers.privacy import PII_PERMISSION, mask_email, mask_phone
from subgraphs.identity.inputs import AuditLogFilter
from subgraphs.identity.loaders import UserByIdLoader
from subgraphs.identity.types import User

NEWEST_FIRST = SortOrder(
    "RECORDED_AT", (tables.AuditEntry.recorded_at, tables.AuditEntry.id), descending=True
)
# Personal data in recorded values, masked as on `User` for principals without pii:view.
MASKS = {("User", "email"): mask_email, ("User", "phone"): mask_phone}


def _shown(entity_type: str, field: str, value: Any, info: strawberry.Info) -> Any:
    mask = MASKS.get((entity_type, field))
    if mask is None or value is None or info.context.principal.can(PII_PERMISSION):
        return value
    return mask(value)


@strawberry.type(description="One changed field of an audited mutation.")
class AuditFieldChange:
    field: str = strawberry.field(description="The field's GraphQL name.")
    before: JSON | None = strawberry.field(description="Its value before (null: none).")
    after: JSON | None = strawberry.field(description="Its value after (null: none).")


@strawberry.type(description="What one committed mutation did, who did it, when and whence.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    recorded_at: datetime = strawberry.field(description="When the mutation committed.")
    actor_id: strawberry.Private[Any]
    operation: str = strawberry.field(description="The mutation's field name (createIncident).")
    entity_type: str = strawberry.field(description="The changed entity's type (Incident).")
    entity_id: strawberry.ID = strawberry.field(description="The changed entity's id.")
    before: strawberry.Private[dict[str, Any]]
    after: strawberry.Private[dict[str, Any]]
    request_id: str = strawberry.field(description="The request id (X-Request-Id or generated).")
    client_id: str | None = strawberry.field(
        description="The client application the token was issued to, if it says."
    )

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            recorded_at=row.recorded_at,
            actor_id=row.actor_id,
            operation=row.operation,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(str(row.entity_id)),
            before=row.before,
            after=row.after,
            request_id=row.request_id,
            client_id=row.client_id,
        )

    @strawberry.field(
        description="The changed fields with their values before and after, by name "
        "(e-mail addresses and phone numbers masked without pii:view)."
    )
    def changes(self, info: strawberry.Info) -> list[AuditFieldChange]:
        return [
            AuditFieldChange(
                field=name,
                before=_shown(self.entity_type, name, self.before.get(name), info),
                after=_shown(self.entity_type, name, self.after.get(name), info),
            )
            for name in sorted(set(self.before) | set(self.after))
        ]

    @strawberry.field(description="The user who did it; null for an anonymous or unknown one.")
    async def actor(self, info: strawberry.Info) -> User | None:
        if self.actor_id is None:
            return None
        row = await load_by_id(info.context, UserByIdLoader, self.actor_id)
        return User.from_row(row) if row else None


async def audit_log(
    info: strawberry.Info, filter: AuditLogFilter | None, pagination: Pagination | None
) -> Connection[AuditEntry]:
    ctx = info.context
    entry = tables.AuditEntry
    query = select(entry.__table__).where(entry.tenant_id == ctx.tenant_id)
    if filter is not None:
        if filter.entity_type is not None:
            query = query.where(entry.entity_type == filter.entity_type)
        if filter.entity_id is not None:
            query = query.where(entry.entity_id == parse_id(filter.entity_id, "filter.entityId"))
        if filter.actor_id is not None:
            query = query.where(entry.actor_id == parse_id(filter.actor_id, "filter.actorId"))
        if filter.operation is not None:
            query = query.where(entry.operation == filter.operation)
        if filter.since is not None:
            query = query.where(entry.recorded_at >= filter.since)
        if filter.until is not None:
            query = query.where(entry.recorded_at < filter.until)
    return await paginate(ctx.db, query, NEWEST_FIRST, pagination, AuditEntry.from_row)
