"""Reading the audit log: records of committed mutations, newest first.

Records are written by `resolvers.audit` for every mutation of every subgraph; identity
serves them because it owns the actors (`User`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from db.tables import audit as tables
from resolvers.pagination import SortOrder

NEWEST_FIRST = SortOrder(
    "RECORDED_AT", (tables.AuditEntry.recorded_at, tables.AuditEntry.id), descending=True
)


def audit_entries(
    tenant_id: uuid.UUID,
    *,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    operation: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    """The tenant's records meeting every condition given."""
    entry = tables.AuditEntry
    query = select(entry.__table__).where(entry.tenant_id == tenant_id)
    if entity_type is not None:
        query = query.where(entry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(entry.entity_id == entity_id)
    if actor_id is not None:
        query = query.where(entry.actor_id == actor_id)
    if operation is not None:
        query = query.where(entry.operation == operation)
    if since is not None:
        query = query.where(entry.recorded_at >= since)
    if until is not None:
        query = query.where(entry.recorded_at < until)
    return query
