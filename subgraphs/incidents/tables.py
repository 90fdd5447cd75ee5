"""The `incidents` schema: incidents, their comments, their change history, and the per-tenant
counter behind the human numbers (INC-1042).

References to other domains (assignee, team, reporter, comment author, the configuration
items an incident is about) are plain UUID columns: no foreign keys across schemas, the router
joins through federation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.base import NumberTokenRow, TenantRow, ValueTokenRow, new_metadata

SCHEMA = "incidents"


class Base(DeclarativeBase):
    metadata = new_metadata()


class Incident(TenantRow, Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_incidents_tenant_number"),
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        CheckConstraint(
            "status IN ('OPEN','IN_PROGRESS','ON_HOLD','RESOLVED','CLOSED','CANCELLED')",
            name="status_known",
        ),
        # The lifecycle's required fields, kept true by the database too (lifecycle.py).
        CheckConstraint("(status = 'ON_HOLD') = (hold_reason IS NOT NULL)", name="held_for_reason"),
        CheckConstraint(
            "status NOT IN ('RESOLVED','CLOSED') OR resolution_code IS NOT NULL",
            name="resolved_with_code",
        ),
        CheckConstraint(
            "status <> 'CANCELLED' OR cancel_reason IS NOT NULL", name="cancelled_for_reason"
        ),
        CheckConstraint("reopen_count >= 0", name="reopen_count_natural"),
        # Keyset pagination: every sort order has an index ending in id.
        Index("ix_incidents_opened", "tenant_id", "opened_at", "id"),
        Index("ix_incidents_updated", "tenant_id", "updated_at", "id"),
        Index("ix_incidents_priority", "tenant_id", "priority", "opened_at", "id"),
        Index("ix_incidents_status_opened", "tenant_id", "status", "opened_at", "id"),
        Index("ix_incidents_assignee", "tenant_id", "assignee_id"),
        Index("ix_incidents_team", "tenant_id", "team_id"),
        Index("ix_incidents_ci", "tenant_id", "ci_id"),
        Index("ix_incidents_created", "tenant_id", "created_at"),  # createdAfter/Before
        # An external id names one incident per source, except an alert integration's: an
        # alert's fingerprint names one incident while it is open (alerts/intake.py), and a
        # later firing past the flap window opens another.
        Index(
            "uq_incidents_source_external_id",
            "tenant_id",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL AND integration_id IS NULL"),
        ),
        Index(
            "uq_incidents_open_alert",
            "tenant_id",
            "integration_id",
            "external_id",
            unique=True,
            postgresql_where=text(
                "integration_id IS NOT NULL AND status IN ('OPEN','IN_PROGRESS','ON_HOLD') "
                "AND deleted_at IS NULL"
            ),
        ),
        Index("ix_incidents_alert", "tenant_id", "integration_id", "external_id", "resolved_at"),
        Index("ix_incidents_parent", "tenant_id", "parent_id"),
        CheckConstraint("alert_count >= 0", name="alert_count_natural"),
        # Major incidents and duplicates (family/, issue 19).
        CheckConstraint(
            "major_state IS NULL OR major_state IN ('PROPOSED','ACCEPTED','REJECTED')",
            name="major_state_known",
        ),
        CheckConstraint(
            "duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index(
            "ix_incidents_major",
            "tenant_id",
            "major_state",
            "opened_at",
            "id",
            postgresql_where=text("major_state IS NOT NULL"),
        ),
        Index(
            "ix_incidents_duplicate_of",
            "tenant_id",
            "duplicate_of_id",
            postgresql_where=text("duplicate_of_id IS NOT NULL"),
        ),
        # Tags and custom field values (issue 19) are found through their token tables
        # (IncidentFieldToken, IncidentTagToken below).
        {"schema": SCHEMA},
    )

    # Null only inside the transaction inserting the incident: numbered as it commits
    # (db/numbering.py).
    number: Mapped[int] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    priority_overridden: Mapped[bool] = mapped_column(nullable=False, server_default="false")
    impact: Mapped[str] = mapped_column(String(8), nullable=False)
    urgency: Mapped[str] = mapped_column(String(8), nullable=False)
    category: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ci_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The configuration item (the CMDB's) the incident is primarily about."""
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hold_reason: Mapped[str | None] = mapped_column(String(32))
    """Why it is ON_HOLD (enums.HoldReason); set exactly while it is."""
    resolution_code: Mapped[str | None] = mapped_column(String(32))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    integration_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The alert integration (alerts/tables.py) that opened it; None for every other."""
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The incident it is part of (an alert group's incident, for the group's alerts)."""
    alert_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    """How many distinct firings of its alert it has received (0: not from an alert)."""
    last_alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When it was deleted (deletion.py); the application role sees it only in a transaction
    that asks for deleted incidents (policy `live_rows`, migration incidents_0006)."""
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    delete_reason: Mapped[str | None] = mapped_column(Text)
    major_state: Mapped[str | None] = mapped_column(String(16))
    """Major incident: PROPOSED, ACCEPTED (a major incident: family.rules.is_major) or
    REJECTED; None when never proposed."""
    major_reason: Mapped[str | None] = mapped_column(Text)
    """Why it was proposed (or, once rejected, why not)."""
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The incident it duplicates (set by markDuplicate, which cancels it)."""
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), nullable=False, server_default=text("'{}'::character varying[]")
    )
    """Normalised labels (tags.py), sorted."""
    custom_fields: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    """Values of the tenant's custom fields (custom_fields/), by field name."""
    search: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('english'::regconfig, (title::text || ' '::text) || description)",
            persisted=True,
        ),
    )


class IncidentComment(TenantRow, Base):
    __tablename__ = "incident_comments"
    __table_args__ = (
        Index("ix_incident_comments_incident", "incident_id", "created_at", "id"),
        CheckConstraint("visibility IN ('WORK_NOTE','PUBLIC')", name="visibility_known"),
        # A reaction to another domain's event notes an incident at most once per event,
        # even when the event is handled again (a consumer replayed).
        Index(
            "uq_incident_comments_source_event",
            "tenant_id",
            "incident_id",
            "source_event",
            unique=True,
            postgresql_where=text("source_event IS NOT NULL"),
        ),
        {"schema": SCHEMA},
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    visibility: Mapped[str] = mapped_column(String(16), nullable=False)
    source_event: Mapped[int | None] = mapped_column(BigInteger)
    """The `seq` of the outbox event a reaction wrote it for (reactions.py); None otherwise."""
    mention_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'::uuid[]")
    )
    """The users its body mentions (mentions.py), in order of first mention."""


class IncidentAffectedCi(TenantRow, Base):
    """A further configuration item an incident affects (its primary one is `Incident.ci_id`,
    never repeated here)."""

    __tablename__ = "incident_affected_cis"
    __table_args__ = (
        UniqueConstraint("incident_id", "ci_id", name="uq_incident_affected_cis_incident_ci"),
        Index("ix_incident_affected_cis_ci", "tenant_id", "ci_id"),
        {"schema": SCHEMA},
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    ci_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)


class IncidentChange(TenantRow, Base):
    """One entry of an incident's history: what changed, from what to what, and who did it."""

    __tablename__ = "incident_changes"
    __table_args__ = (
        Index("ix_incident_changes_incident", "incident_id", "created_at", "id"),
        {"schema": SCHEMA},
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class IncidentSettings(TenantRow, Base):
    """A tenant's incident settings; a tenant without a row has the defaults
    (lifecycle.DEFAULT_REOPEN_WINDOW_DAYS)."""

    __tablename__ = "incident_settings"
    __table_args__ = (
        UniqueConstraint("tenant_id", name="uq_incident_settings_tenant"),
        CheckConstraint("reopen_window_days BETWEEN 0 AND 365", name="reopen_window_range"),
        CheckConstraint("auto_close_days BETWEEN 0 AND 365", name="auto_close_range"),
        {"schema": SCHEMA},
    )

    reopen_window_days: Mapped[int] = mapped_column(Integer, nullable=False)
    auto_close_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="7")
    """Business days after its resolution that an incident closes by itself (0: never)."""


class IncidentNumber(Base):
    """The last number handed out per tenant; its row lock, taken at commit, makes numbering
    gapless (db/numbering.py)."""

    __tablename__ = "incident_numbers"
    __table_args__ = {"schema": SCHEMA}

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class IncidentFieldToken(ValueTokenRow, Base):
    """One custom field value of an incident that is a scalar, as a token (`{name: value}` as
    text): what a `customFields` filter's `eq`/`in` looks incidents up by, since containment
    on `custom_fields` cannot use its index behind the tenant wall (db/value_tokens.py
    explains it). Written by triggers only (migration incidents_0012)."""

    __tablename__ = "incident_field_tokens"
    token_schema = SCHEMA


class IncidentFieldNumber(NumberTokenRow, Base):
    """One custom field value of an incident that is a number, as a float8 under its name:
    what a `customFields` filter's range looks incidents up by, since numeric comparisons on
    `custom_fields` cannot use an index behind the tenant wall (db/value_tokens.py
    `NumberTokens`). Written by triggers only (migration incidents_0014)."""

    __tablename__ = "incident_field_numbers"
    token_schema = SCHEMA


class IncidentTagToken(ValueTokenRow, Base):
    """One tag of an incident: what a `tags` filter looks incidents up by, since overlap and
    containment on `tags` cannot use its index behind the tenant wall (db/value_tokens.py
    explains it). Written by triggers only (migration incidents_0012)."""

    __tablename__ = "incident_tag_tokens"
    token_schema = SCHEMA


class IncidentSearchToken(ValueTokenRow, Base):
    """One lexeme of an incident's `search`: what a search looks incidents up by, since `@@`
    cannot use the tsvector's index behind the tenant wall (db/value_tokens.py explains it).
    Written by triggers only (migration incidents_0012)."""

    __tablename__ = "incident_search_tokens"
    token_schema = SCHEMA
