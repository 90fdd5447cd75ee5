"""The family's own table: who watches which incident (walled like every tenant table)."""

from __future__ import annotations

import uuid

from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import TenantRow
from subgraphs.incidents.tables import SCHEMA, Base


class IncidentWatcher(TenantRow, Base):
    """A user (identity's) watching an incident: told of its changes by notifications to come."""

    __tablename__ = "incident_watchers"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "incident_id", "user_id", name="uq_incident_watchers_incident_user"
        ),
        {"schema": SCHEMA},
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
