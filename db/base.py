"""Declarative base and the columns every table carries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Float, Index, MetaData, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from db.reads import PLANNED_PER_EXECUTION

# Named constraints keep Alembic's autogenerate diffs and downgrades deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A metadata with the naming convention: one for the shared tables (`Base`) and one per
    domain, so each domain's tables are migrated and compared as its own set."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """The shared tables' base (db/tables/); each domain declares its own in its package."""

    metadata = new_metadata()


class TenantRow:
    """Columns every domain row has: a UUID id, its tenant and its timestamps."""

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class TokenRow:
    """A row of a token table (db/value_tokens.py), of a tenant (`tenant_id`) and belonging
    to a row (`owner_id`), with the index leading with both; a subclass gives its
    `__tablename__` and its domain's `token_schema`. Written by triggers only. A value's
    tokens range from none to most of a tenant's rows: reads of them are planned for the
    values asked each time (db/reads.py)."""

    token_schema: ClassVar[str]

    # First and last in the table and its key, a subclass's own columns between them.
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, sort_order=-1
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, sort_order=1)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"ix_{name}_owner_id", "tenant_id", "owner_id"),
            {"schema": cls.token_schema, "info": {PLANNED_PER_EXECUTION: True}},
        )


class ValueTokenRow(TokenRow):
    """A value token: its text (db/value_tokens.py `ValueTokens`)."""

    token: Mapped[str] = mapped_column(Text, primary_key=True)


class NumberTokenRow(TokenRow):
    """A named number, as a float8 (db/value_tokens.py `NumberTokens`)."""

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    number: Mapped[float] = mapped_column(Float, primary_key=True)
