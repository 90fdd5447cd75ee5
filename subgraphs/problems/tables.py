"""The `problems` schema: problems (with their root cause and known-error record), their
comments, history and affected configuration items, the per-tenant counter behind the human
numbers (PRB-17), the links to incidents, and the read model of incidents this domain keeps
from the incidents domain's events (`incident_facts`).

References to other domains (assignee, team, comment author, configuration items, incidents)
are plain UUID columns: no foreign keys across schemas, the router joins through federation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
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
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.base import TenantRow, ValueTokenRow, new_metadata
from db.numbering import NumberCounter

SCHEMA = "problems"


class Base(DeclarativeBase):
    metadata = new_metadata()


class Problem(TenantRow, Base):
    __tablename__ = "problems"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_problems_tenant_number"),
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        CheckConstraint(
            "status IN ('NEW','ASSESS','ROOT_CAUSE_ANALYSIS','FIX_IN_PROGRESS','RESOLVED',"
            "'CLOSED','CANCELLED')",
            name="status_known",
        ),
        # Keyset pagination: every sort order has an index ending in id.
        Index("ix_problems_opened", "tenant_id", "opened_at", "id"),
        Index("ix_problems_updated", "tenant_id", "updated_at", "id"),
        Index("ix_problems_priority", "tenant_id", "priority", "opened_at", "id"),
        Index("ix_problems_status_opened", "tenant_id", "status", "opened_at", "id"),
        Index("ix_problems_assignee", "tenant_id", "assignee_id"),
        Index("ix_problems_ci", "tenant_id", "ci_id"),
        Index("ix_problems_root_cause_ci", "tenant_id", "root_cause_ci_id"),
        Index("ix_problems_created", "tenant_id", "created_at"),
        {"schema": SCHEMA},
    )

    # Null only inside the transaction inserting the problem: numbered as it commits
    # (db/numbering.py).
    number: Mapped[int] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    priority_overridden: Mapped[bool] = mapped_column(nullable=False, server_default="false")
    impact: Mapped[str] = mapped_column(String(8), nullable=False)
    urgency: Mapped[str] = mapped_column(String(8), nullable=False)
    category: Mapped[str | None] = mapped_column(String(100))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ci_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The configuration item (the CMDB's) the problem is primarily about."""
    root_cause: Mapped[str | None] = mapped_column(Text)
    cause_code: Mapped[str | None] = mapped_column(String(100))
    root_cause_ci_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resolution_code: Mapped[str | None] = mapped_column(String(16))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    known_error: Mapped[bool] = mapped_column(nullable=False, server_default="false")
    symptom: Mapped[str | None] = mapped_column(Text)
    workaround: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(100))
    known_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    workaround_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('english'::regconfig, (title::text || ' '::text) || description)",
            persisted=True,
        ),
    )


class ProblemComment(TenantRow, Base):
    __tablename__ = "problem_comments"
    __table_args__ = (
        Index("ix_problem_comments_problem", "problem_id", "created_at", "id"),
        CheckConstraint("visibility IN ('WORK_NOTE','PUBLIC')", name="visibility_known"),
        {"schema": SCHEMA},
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    visibility: Mapped[str] = mapped_column(String(16), nullable=False)


class ProblemChange(TenantRow, Base):
    """One entry of a problem's history: what changed, from what to what, and who did it."""

    __tablename__ = "problem_changes"
    __table_args__ = (
        Index("ix_problem_changes_problem", "problem_id", "created_at", "id"),
        {"schema": SCHEMA},
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class ProblemAffectedCi(TenantRow, Base):
    """A further configuration item a problem affects (its primary one is `Problem.ci_id`,
    never repeated here)."""

    __tablename__ = "problem_affected_cis"
    __table_args__ = (
        UniqueConstraint("problem_id", "ci_id", name="uq_problem_affected_cis_problem_ci"),
        Index("ix_problem_affected_cis_ci", "tenant_id", "ci_id"),
        {"schema": SCHEMA},
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    ci_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)


class ProblemIncident(TenantRow, Base):
    """An incident (the incidents domain's, by id) linked to a problem: its cause is the
    problem's. An incident links to one problem at most."""

    __tablename__ = "problem_incidents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "incident_id", name="uq_problem_incidents_incident"),
        Index("ix_problem_incidents_problem", "tenant_id", "problem_id", "created_at", "id"),
        {"schema": SCHEMA},
    )

    problem_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class ProblemNumber(NumberCounter, Base):
    """The last problem number handed out per tenant (db/numbering.py)."""

    __tablename__ = "problem_numbers"
    __table_args__ = {"schema": SCHEMA}


class IncidentFact(TenantRow, Base):
    """What this domain knows of an incident: the few facts spotting problems and filtering
    a problem's incidents need, kept from the incidents domain's events by the consumer
    `problems.incident-facts` (incident_facts.py), and rebuilt from them when reset. Never
    read from the incidents domain's tables."""

    __tablename__ = "incident_facts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "incident_id", name="uq_incident_facts_incident"),
        Index("ix_incident_facts_opened", "tenant_id", "opened_at"),
        {"schema": SCHEMA},
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str | None] = mapped_column(String(100))
    ci_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ProblemSearchToken(ValueTokenRow, Base):
    """One lexeme of a problem's `search`: what a search looks problems up by, since `@@`
    cannot use the tsvector's index behind the tenant wall (db/value_tokens.py explains it).
    Written by triggers only (migration problems_0003)."""

    __tablename__ = "problem_search_tokens"
    token_schema = SCHEMA
