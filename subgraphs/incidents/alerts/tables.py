"""The alert intake's tables, in the incidents schema: integrations, the notifications each
has handled (the dedupe keys), the last deliveries it received (its debugging log), and the
names of configuration items alerts are mapped to (a read model of the CMDB's events)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import TenantRow
from subgraphs.incidents.tables import SCHEMA, Base

DELIVERY_SLOTS = 100
"""Deliveries kept per integration (`integrationDeliveries`)."""


class Integration(TenantRow, Base):
    """A monitoring system allowed to post alerts, with how its alerts become incidents."""

    __tablename__ = "integrations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_integrations_tenant_name"),
        CheckConstraint("kind IN ('ALERTMANAGER')", name="kind_known"),
        CheckConstraint("group_by IN ('ALERT','GROUP')", name="group_by_known"),
        CheckConstraint(
            "recovery_policy IN ('AUTO_RESOLVE','NOTE_ONLY','IGNORE')", name="recovery_known"
        ),
        CheckConstraint("flap_window_minutes BETWEEN 0 AND 1440", name="flap_window_range"),
        {"schema": SCHEMA},
    )

    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """SHA-256 (hex) of the bearer secret; the secret itself is shown once, at creation."""
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    group_by: Mapped[str] = mapped_column(String(8), nullable=False)
    recovery_policy: Mapped[str] = mapped_column(String(16), nullable=False)
    flap_window_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    """How alerts map to incidents (mapping.Mapping as JSON)."""
    delivery_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    """The number of the last delivery it posted (its log's ring: IntegrationDelivery)."""


class AlertNotification(TenantRow, Base):
    """One distinct notification of one alert an integration handled: its key is a hash of
    (group key, fingerprint, startsAt, status), so Alertmanager's retries of a notification
    (the same body again) are recognised and change nothing."""

    __tablename__ = "alert_notifications"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "integration_id", "key", name="uq_alert_notifications_tenant_key"
        ),
        {"schema": SCHEMA},
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)


class IntegrationDelivery(TenantRow, Base):
    """A payload an integration posted and what came of it. The log is a ring of
    DELIVERY_SLOTS rows per integration: delivery number `seq` (the integration's
    `delivery_seq`) overwrites slot `seq % DELIVERY_SLOTS`, so keeping the newest costs one
    upsert per post whatever the history (receiver.py)."""

    __tablename__ = "integration_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "integration_id", "slot", name="uq_integration_deliveries_slot"
        ),
        CheckConstraint(f"slot >= 0 AND slot < {DELIVERY_SLOTS}", name="slot_range"),
        {"schema": SCHEMA},
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    """The delivery's number in its integration: newest first is `seq` descending."""
    slot: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    """Counts of what the payload did (created, repeated, reopened, resolved, ...)."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)


class CiName(TenantRow, Base):
    """What this domain knows of a configuration item: its name and external id, to map an
    alert's label to it. Kept by the consumer `incidents.ci-names` (ci_names.py) from the
    CMDB's events and rebuilt from them when reset; never read from the CMDB's tables."""

    __tablename__ = "ci_names"
    __table_args__ = (
        UniqueConstraint("tenant_id", "ci_id", name="uq_ci_names_ci"),
        Index("ix_ci_names_name", "tenant_id", func.lower(literal_column("name"))),
        Index("ix_ci_names_external_id", "tenant_id", "external_id"),
        {"schema": SCHEMA},
    )

    ci_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(200))
    retired: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
