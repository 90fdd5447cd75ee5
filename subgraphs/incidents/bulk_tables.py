"""The table of bulk updates (bulk.py): one row per `bulkUpdateIncidents`, holding what it
asked, how far it got and each incident's result, so a large batch runs in chunks on the job
queue (each chunk commits) and its results can be read when it is done."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import TenantRow
from subgraphs.incidents.tables import SCHEMA, Base


class IncidentBulkUpdate(TenantRow, Base):
    __tablename__ = "incident_bulk_updates"
    __table_args__ = (
        CheckConstraint("processed BETWEEN 0 AND total", name="processed_range"),
        {"schema": SCHEMA},
    )

    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ids: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    """The incidents' ids as given, in order."""
    change: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    """What to change on each (bulk.BulkChange as JSON)."""
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    succeeded: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    results: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default="[]"
    )
    """One per processed id, in order: {id, ok, code, message}."""
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
