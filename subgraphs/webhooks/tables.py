"""The `webhooks` schema: the tenants' webhook subscriptions, one delivery per (webhook,
event), and one attempt row per try of a delivery (the delivery log).

A delivery carries only what the webhook's owner (the user who last wrote it) may see, by their
permissions when it is sent (owner.py); `owner_permissions` keeps the writer's permissions of
then, used only for a writer that is no user (an API client). A delivery's `body` is the event
whole: it is masked as it is sent. References to other domains (the owner, the event's
entity) are plain UUID columns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.base import TenantRow, new_metadata

SCHEMA = "webhooks"


class Base(DeclarativeBase):
    metadata = new_metadata()


class Webhook(TenantRow, Base):
    __tablename__ = "webhooks"
    __table_args__ = (
        Index("ix_webhooks_active", "tenant_id", "active"),
        {"schema": SCHEMA},
    )

    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    events: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default="[]"
    )
    secret: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, server_default="true")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner_permissions: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default="{}"
    )
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When its deliveries started failing without a success since (None: healthy)."""


class WebhookDelivery(TenantRow, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "webhook_id", "event_seq", name="uq_webhook_deliveries_event"
        ),
        CheckConstraint(
            "status IN ('PENDING','RETRYING','DELIVERED','DEAD','SKIPPED')", name="status_known"
        ),
        Index("ix_webhook_deliveries_webhook", "tenant_id", "webhook_id", "created_at", "id"),
        {"schema": SCHEMA},
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event_kind: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttempt(TenantRow, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_delivery", "tenant_id", "delivery_id", "attempt"),
        {"schema": SCHEMA},
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
