"""The `audit` schema: one append-only record per committed mutation.

`entries` is range-partitioned by month on `recorded_at`; the month partitions live in the
`audit_partitions` schema (see db/audit_partitions.py), so the mapped parent is the only
table of this schema the ORM, the drift check and the application role ever name. The
application role may INSERT and SELECT here, never UPDATE, DELETE or TRUNCATE (migration 0003).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, PrimaryKeyConstraint, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

SCHEMA = "audit"
PARTITION_SCHEMA = "audit_partitions"


class AuditEntry(Base):
    """Who did what to which entity, when, from which request and client application.

    `before`/`after` hold the changed fields only, keyed by their GraphQL names. The primary
    key includes the partition key, as PostgreSQL requires of a partitioned table."""

    __tablename__ = "entries"
    __table_args__ = (
        PrimaryKeyConstraint("id", "recorded_at", name="pk_entries"),
        # Keyset pagination, newest first; and the entity, actor and operation filters.
        Index("ix_entries_tenant_recorded", "tenant_id", "recorded_at", "id"),
        Index("ix_entries_tenant_entity_id", "tenant_id", "entity_id", "recorded_at"),
        Index("ix_entries_tenant_actor", "tenant_id", "actor_id", "recorded_at"),
        Index("ix_entries_tenant_operation", "tenant_id", "operation", "recorded_at"),
        {"schema": SCHEMA, "postgresql_partition_by": "RANGE (recorded_at)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), nullable=False, server_default=func.gen_random_uuid()
    )
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    operation: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    before: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    after: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    request_id: Mapped[str] = mapped_column(String(200), nullable=False)
    client_id: Mapped[str | None] = mapped_column(String(200))
