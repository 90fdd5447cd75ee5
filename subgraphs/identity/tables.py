"""The `identity` schema: users, teams (assignment groups), team membership and the custom
roles each tenant defines beside the built-in ones."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.base import TenantRow, new_metadata

SCHEMA = "identity"


class Base(DeclarativeBase):
    metadata = new_metadata()


class User(TenantRow, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_tenant_email", "tenant_id", func.lower(literal_column("email")), unique=True
        ),
        Index("ix_users_tenant_name", "tenant_id", "name", "id"),
        {"schema": SCHEMA},
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")


class Team(TenantRow, Base):
    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_teams_tenant_name"),
        {"schema": SCHEMA},
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    email: Mapped[str | None] = mapped_column(String(320))


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (
        PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
        Index("ix_team_members_user", "user_id"),
        {"schema": SCHEMA},
    )

    team_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class Role(TenantRow, Base):
    """A tenant's own role: a name a token's `roles` claim (or a user's roles) may carry, and
    the permissions it grants. Built-in role names are never stored here."""

    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_roles_tenant_name"),
        {"schema": SCHEMA},
    )

    name: Mapped[str] = mapped_column(String(63), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    permissions: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
