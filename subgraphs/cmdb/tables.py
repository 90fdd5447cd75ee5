"""The `cmdb` schema: CI classes and their attributes, configuration items and their history,
relationship types, the rules saying which classes a type may join, and the relationships;
the log of the dependency graph's changes, which processes keeping it in memory read.

Classes, attributes, relationship types and rules are data per tenant; the built-in ones are
materialised from code (catalogue.py). Within the schema, rows refer to each other by foreign
key; references to identity's users and teams are plain UUID columns (no foreign keys across
schemas, the router joins through federation)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.naming import conv
from sqlalchemy.types import UserDefinedType

from db.base import NumberTokenRow, TenantRow, ValueTokenRow, new_metadata

SCHEMA = "cmdb"


class Base(DeclarativeBase):
    metadata = new_metadata()


def _key(*, nullable: bool = False) -> Mapped[Any]:
    """A reference column whose foreign key is a `_tenant_key` of its table."""
    return mapped_column(UUID(as_uuid=True), nullable=nullable)


def _tenant_key(
    table: str, column: str, referred: str, *, ondelete: str = "RESTRICT"
) -> ForeignKeyConstraint:
    """`(tenant_id, column)` → `referred (tenant_id, id)`: a reference within the row's
    tenant, which the database walls too, and which PostgreSQL checks (on a delete of the
    referred row) through the table's index leading with those two columns (migration
    cmdb_0006; tests/db/test_foreign_keys.py)."""
    return ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{SCHEMA}.{referred}.tenant_id", f"{SCHEMA}.{referred}.id"],
        name=conv(f"fk_{table}_{column}_{referred}"),
        ondelete=ondelete,
    )


def _ref(table: str, *, nullable: bool = False, ondelete: str = "RESTRICT") -> Mapped[Any]:
    return mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.{table}.id", ondelete=ondelete), nullable=nullable
    )


class CiClass(TenantRow, Base):
    """A class of configuration items; `parent_id` is its superclass (single inheritance)."""

    __tablename__ = "ci_classes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_ci_classes_tenant_name"),
        UniqueConstraint("tenant_id", "id", name="uq_ci_classes_tenant_id_id"),
        _tenant_key("ci_classes", "parent_id", "ci_classes"),
        Index("ix_ci_classes_parent", "tenant_id", "parent_id"),
        {"schema": SCHEMA},
    )

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    parent_id: Mapped[uuid.UUID | None] = _key(nullable=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    builtin: Mapped[bool] = mapped_column(nullable=False, server_default="false")


class CiAttribute(TenantRow, Base):
    """A typed attribute a class declares; its subclasses inherit it."""

    __tablename__ = "ci_attributes"
    __table_args__ = (
        UniqueConstraint("class_id", "name", name="uq_ci_attributes_class_name"),
        _tenant_key("ci_attributes", "class_id", "ci_classes", ondelete="CASCADE"),
        _tenant_key("ci_attributes", "reference_class_id", "ci_classes"),
        Index("ix_ci_attributes_class", "tenant_id", "class_id"),
        Index("ix_ci_attributes_reference_class", "tenant_id", "reference_class_id"),
        CheckConstraint(
            "type IN ('STRING','INTEGER','BOOLEAN','DATE','ENUM','IP_ADDRESS','URL','REFERENCE')",
            name="type_known",
        ),
        {"schema": SCHEMA},
    )

    class_id: Mapped[uuid.UUID] = _key()
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    required: Mapped[bool] = mapped_column(nullable=False, server_default="false")
    # none_as_null: a Python None is SQL NULL (no default), not the JSON value null.
    default: Mapped[Any] = mapped_column(JSONB(none_as_null=True), nullable=True)
    enum_values: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True))
    reference_class_id: Mapped[uuid.UUID | None] = _key(nullable=True)


class ConfigurationItem(TenantRow, Base):
    __tablename__ = "configuration_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "class_id", "name", name="uq_configuration_items_name"),
        UniqueConstraint("tenant_id", "id", name="uq_configuration_items_tenant_id_id"),
        _tenant_key("configuration_items", "class_id", "ci_classes"),
        CheckConstraint("criticality BETWEEN 1 AND 4", name="criticality_range"),
        CheckConstraint(
            "status IN ('PLANNED','IN_SERVICE','MAINTENANCE','RETIRED')", name="status_known"
        ),
        CheckConstraint(
            "environment IN ('PRODUCTION','STAGING','TEST','DEVELOPMENT')",
            name="environment_known",
        ),
        CheckConstraint("redundancy_required >= 1", name="redundancy_positive"),
        # Keyset pagination: every sort order has an index ending in id.
        Index("ix_configuration_items_name", "tenant_id", "name", "id"),
        Index("ix_configuration_items_criticality", "tenant_id", "criticality", "name", "id"),
        Index("ix_configuration_items_created", "tenant_id", "created_at", "id"),
        Index("ix_configuration_items_updated", "tenant_id", "updated_at", "id"),
        Index("ix_configuration_items_class", "tenant_id", "class_id"),
        Index("ix_configuration_items_team", "tenant_id", "support_team_id"),
        Index("ix_configuration_items_owner", "tenant_id", "owner_id"),
        Index("ix_configuration_items_status", "tenant_id", "status"),
        Index("ix_configuration_items_environment", "tenant_id", "environment"),
        Index("ix_configuration_items_source", "tenant_id", "source"),
        # Attribute values and names' words are found through their tokens (CiAttributeToken
        # and CiSearchToken below).
        Index(
            "uq_configuration_items_source_external_id",
            "tenant_id",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        # Impact analysis (migration cmdb_0002): the redundant and the retired CIs it reaches.
        Index(
            "ix_configuration_items_redundant",
            "tenant_id",
            "id",
            postgresql_include=["redundancy_required"],
            postgresql_where=text("redundancy_required IS NOT NULL"),
        ),
        Index(
            "ix_configuration_items_retired",
            "tenant_id",
            "id",
            postgresql_where=text("status = 'RETIRED'"),
        ),
        {"schema": SCHEMA},
    )

    class_id: Mapped[uuid.UUID] = _key()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    environment: Mapped[str] = mapped_column(String(16), nullable=False)
    criticality: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    support_team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    redundancy_required: Mapped[int | None] = mapped_column(Integer)
    search: Mapped[Any] = mapped_column(
        TSVECTOR,
        # 'simple': CI names are host and product names, not English prose.
        Computed("to_tsvector('simple'::regconfig, name::text)", persisted=True),
    )


class CiAttributeToken(ValueTokenRow, Base):
    """One scalar attribute of a CI as a token (`{name: value}` as text): what an attribute
    filter's `eq`/`in` looks CIs up by, since containment on `attributes` cannot use its
    index behind the tenant wall (db/value_tokens.py explains it). Written by triggers only
    (migration cmdb_0007), with every write of a CI."""

    __tablename__ = "ci_attribute_tokens"
    token_schema = SCHEMA


class CiAttributeNumber(NumberTokenRow, Base):
    """One attribute of a CI that is a number, as a float8 under its name: what an attribute
    filter's range looks CIs up by, since numeric comparisons on `attributes` cannot use an
    index behind the tenant wall (db/value_tokens.py `NumberTokens`). Written by triggers
    only (migration cmdb_0009), with every write of a CI."""

    __tablename__ = "ci_attribute_numbers"
    token_schema = SCHEMA


class CiSearchToken(ValueTokenRow, Base):
    """One lexeme of a CI's `search` (its name): what a name search looks CIs up by, since
    `@@` cannot use the tsvector's index behind the tenant wall (db/value_tokens.py explains
    it). Written by triggers only (migration cmdb_0007)."""

    __tablename__ = "ci_search_tokens"
    token_schema = SCHEMA


class CiChange(TenantRow, Base):
    """One entry of a CI's history: what changed, from what to what, and who did it."""

    __tablename__ = "ci_changes"
    __table_args__ = (
        Index("ix_ci_changes_ci", "ci_id", "created_at", "id"),
        {"schema": SCHEMA},
    )

    ci_id: Mapped[uuid.UUID] = _ref("configuration_items", ondelete="CASCADE")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class RelationshipType(TenantRow, Base):
    """A parent→child relationship pair with both its names ("Runs on" / "Runs") and the end
    that depends on the other (`dependent_side`)."""

    __tablename__ = "relationship_types"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_relationship_types_tenant_name"),
        UniqueConstraint("tenant_id", "id", name="uq_relationship_types_tenant_id_id"),
        CheckConstraint("dependent_side IN ('PARENT','CHILD')", name="dependent_side_known"),
        {"schema": SCHEMA},
    )

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    parent_descriptor: Mapped[str] = mapped_column(String(64), nullable=False)
    child_descriptor: Mapped[str] = mapped_column(String(64), nullable=False)
    dependent_side: Mapped[str] = mapped_column(String(8), nullable=False)


class RelationshipRule(TenantRow, Base):
    """A (parent class, type, child class) combination that is allowed; a rule on a class
    applies to its subclasses."""

    __tablename__ = "relationship_rules"
    __table_args__ = (
        UniqueConstraint(
            "parent_class_id", "type_id", "child_class_id", name="uq_relationship_rules_triple"
        ),
        *(
            _tenant_key("relationship_rules", column, referred, ondelete="CASCADE")
            for column, referred in (
                ("parent_class_id", "ci_classes"),
                ("type_id", "relationship_types"),
                ("child_class_id", "ci_classes"),
            )
        ),
        Index("ix_relationship_rules_parent_class", "tenant_id", "parent_class_id"),
        Index("ix_relationship_rules_type", "tenant_id", "type_id"),
        Index("ix_relationship_rules_child_class", "tenant_id", "child_class_id"),
        {"schema": SCHEMA},
    )

    parent_class_id: Mapped[uuid.UUID] = _key()
    type_id: Mapped[uuid.UUID] = _key()
    child_class_id: Mapped[uuid.UUID] = _key()


class CiRelationship(TenantRow, Base):
    """parent —type→ child. `source` names who asserted it (a discovery feed reconciles only
    its own)."""

    __tablename__ = "ci_relationships"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "parent_id", "child_id", "type_id", name="uq_ci_relationships_edge"
        ),
        CheckConstraint("parent_id <> child_id", name="not_to_itself"),
        *(
            _tenant_key("ci_relationships", column, "configuration_items")
            for column in ("parent_id", "child_id")
        ),
        _tenant_key("ci_relationships", "type_id", "relationship_types"),
        Index("ix_ci_relationships_type", "tenant_id", "type_id"),
        Index("ix_ci_relationships_parent", "tenant_id", "parent_id"),
        Index("ix_ci_relationships_child", "tenant_id", "child_id"),
        # Impact analysis walks these, one index-only scan per hop (migration cmdb_0002).
        Index(
            "ix_ci_relationships_provider",
            "tenant_id",
            "provider_id",
            postgresql_include=["dependent_id", "type_id", "id"],
        ),
        Index(
            "ix_ci_relationships_dependent",
            "tenant_id",
            "dependent_id",
            postgresql_include=["provider_id", "type_id", "id"],
        ),
        {"schema": SCHEMA},
    )

    parent_id: Mapped[uuid.UUID] = _key()
    child_id: Mapped[uuid.UUID] = _key()
    type_id: Mapped[uuid.UUID] = _key()
    source: Mapped[str | None] = mapped_column(String(64))
    # The end that fails first and the end that suffers, from the type's dependent_side; set
    # by the database (trigger `orient`, migration cmdb_0002), never by a writer.
    provider_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), nullable=False, server_default=FetchedValue()
    )
    dependent_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), nullable=False, server_default=FetchedValue()
    )


class IncidentReference(TenantRow, Base):
    """An incident that names a CI, as its `ci` (`role` CI) or among its `affectedCis`
    (AFFECTED): the CMDB's read model of the incidents domain's references, kept from its
    events by the consumer `cmdb.incident-references` (incident_references.py) and rebuilt
    from them when reset. Never read from the incidents domain's tables. A CI that any row
    names is not deleted (service.delete_configuration_item)."""

    __tablename__ = "incident_references"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "incident_id", "role", "ci_id", name="uq_incident_references_reference"
        ),
        CheckConstraint("role IN ('CI', 'AFFECTED')", name="known_role"),
        Index("ix_incident_references_ci", "tenant_id", "ci_id"),
        {"schema": SCHEMA},
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    ci_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    role: Mapped[str] = mapped_column(String(8), nullable=False)


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (`pg_current_xact_id()`); SQLAlchemy has none."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


# Reflection (schema drift checks) knows the column's type instead of warning about it.
ischema_names.setdefault("xid8", Xid8)


class TopologyChange(Base):
    """A relationship or CI whose place in the dependency graph changed (its ends or type; its
    existence, retirement or redundancy), by transaction `xid`: what a process's in-memory
    graph reads to catch up (topology.py). Written by triggers only (migration cmdb_0004),
    pruned by them after an hour. `id` is only a primary key."""

    __tablename__ = "topology_changes"
    __table_args__ = (
        Index("ix_topology_changes_xid", "tenant_id", "xid"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    xid: Mapped[int] = mapped_column(
        Xid8(), nullable=False, server_default=text("pg_current_xact_id()")
    )
    relationship_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    ci_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
