"""The `events` schema: the transactional outbox shared by every domain.

A mutation inserts its event here in the same transaction as its rows, so an event exists
if and only if the change committed. `id` grows in the order of insertion; `seq` is the order
of delivery, stamped by the relay on committed events (gapless; the resume position
subscribers hand back, see migration 0004); `published_at` is set once delivered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

SCHEMA = "events"


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
        Index("ix_outbox_unsequenced", "id", postgresql_where=text("seq IS NULL")),
        # A number handed out at commit is written into its row's waiting events (core_0005).
        Index("ix_outbox_waiting_entity", "entity_id", postgresql_where=text("seq IS NULL")),
        Index("ux_outbox_seq", "seq", unique=True),
        Index("ix_outbox_tenant_seq", "tenant_id", "seq"),
        Index("ix_outbox_tenant_created", "tenant_id", "created_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    domain: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
    seq: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConsumerPosition(Base):
    """How far one event consumer (resolvers/consumers.py) has got, across every tenant.

    `last_seq` is the last event handled (or passed over as not the consumer's); a handler's
    effects and the new `last_seq` commit in one transaction, whose lock on this row keeps two
    replicas of the consumer from handling at once. The error columns describe failed
    attempts: `error_count` every one so far, `consecutive_failures` those since the last
    handled event (a consumer stuck on an event shows it here). `rebuilds` counts the
    replays that moved the position back: a runner that read events before one must read
    again rather than go on from what it read. `domains` are the event domains the consumer
    reads: pruning keeps those domains' events after `last_seq` (and only those: a stopped
    consumer of one domain does not hold back every other domain's events)."""

    __tablename__ = "consumer_positions"
    __table_args__ = {"schema": SCHEMA}

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    domains: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), nullable=False, server_default="{}"
    )
    last_handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rebuilds: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    error_count: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
