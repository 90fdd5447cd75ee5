"""The custom field definitions of each tenant, in the incidents schema."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from db.base import TenantRow
from subgraphs.incidents.tables import SCHEMA, Base


class IncidentField(TenantRow, Base):
    """One custom field of a tenant's incidents; its values are keyed by `name` in
    `Incident.custom_fields`."""

    __tablename__ = "incident_fields"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_incident_fields_tenant_name"),
        CheckConstraint(
            "type IN ('STRING','NUMBER','BOOLEAN','DATE','ENUM','USER')", name="type_known"
        ),
        CheckConstraint("(type = 'ENUM') = (enum_values IS NOT NULL)", name="enum_values_for_enum"),
        {"schema": SCHEMA},
    )

    name: Mapped[str] = mapped_column(String(50), nullable=False)
    type: Mapped[str] = mapped_column(String(8), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    enum_values: Mapped[list[str] | None] = mapped_column(ARRAY(String(100)))
    """The values an ENUM field may take, in the order given; None for the other types."""
