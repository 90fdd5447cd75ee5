"""cmdb: CI classes and attributes, configuration items and their history, relationship
types, rules and relationships

Revision ID: cmdb_0001
Revises:
Create Date: 2026-12-05 13:20:00

Every table is walled (db/walls.py); the application role reads and writes them all. The
built-in classes, attributes, relationship types and rules are not inserted here: they are
materialised per tenant (subgraphs/cmdb/catalogue.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import drop_schema, open_schema, unwall, wall

revision: str = "cmdb_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("cmdb",)
depends_on: str | Sequence[str] | None = ("core_0001",)

SCHEMA = "cmdb"
TABLES = (
    "cmdb.ci_classes",
    "cmdb.ci_attributes",
    "cmdb.configuration_items",
    "cmdb.ci_changes",
    "cmdb.relationship_types",
    "cmdb.relationship_rules",
    "cmdb.ci_relationships",
)


def upgrade() -> None:
    open_schema(SCHEMA)
    op.create_table(
        "ci_classes",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("builtin", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["cmdb.ci_classes.id"],
            name=op.f("fk_ci_classes_parent_id_ci_classes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_classes")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_ci_classes_tenant_name"),
        schema="cmdb",
    )
    op.create_index(
        "ix_ci_classes_parent",
        "ci_classes",
        ["tenant_id", "parent_id"],
        unique=False,
        schema="cmdb",
    )
    op.create_table(
        "relationship_types",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("parent_descriptor", sa.String(length=64), nullable=False),
        sa.Column("child_descriptor", sa.String(length=64), nullable=False),
        sa.Column("dependent_side", sa.String(length=8), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "dependent_side IN ('PARENT','CHILD')",
            name=op.f("ck_relationship_types_dependent_side_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relationship_types")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_relationship_types_tenant_name"),
        schema="cmdb",
    )
    op.create_table(
        "ci_attributes",
        sa.Column("class_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("default", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("enum_values", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reference_class_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "type IN ('STRING','INTEGER','BOOLEAN','DATE','ENUM','IP_ADDRESS','URL','REFERENCE')",
            name=op.f("ck_ci_attributes_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["cmdb.ci_classes.id"],
            name=op.f("fk_ci_attributes_class_id_ci_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reference_class_id"],
            ["cmdb.ci_classes.id"],
            name=op.f("fk_ci_attributes_reference_class_id_ci_classes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_attributes")),
        sa.UniqueConstraint("class_id", "name", name="uq_ci_attributes_class_name"),
        schema="cmdb",
    )
    op.create_table(
        "configuration_items",
        sa.Column("class_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("criticality", sa.SmallInteger(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("support_team_id", sa.UUID(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("redundancy_required", sa.Integer(), nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple'::regconfig, name::text)", persisted=True),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "environment IN ('PRODUCTION','STAGING','TEST','DEVELOPMENT')",
            name=op.f("ck_configuration_items_environment_known"),
        ),
        sa.CheckConstraint(
            "status IN ('PLANNED','IN_SERVICE','MAINTENANCE','RETIRED')",
            name=op.f("ck_configuration_items_status_known"),
        ),
        sa.CheckConstraint(
            "criticality BETWEEN 1 AND 4", name=op.f("ck_configuration_items_criticality_range")
        ),
        sa.CheckConstraint(
            "redundancy_required >= 1", name=op.f("ck_configuration_items_redundancy_positive")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["cmdb.ci_classes.id"],
            name=op.f("fk_configuration_items_class_id_ci_classes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_configuration_items")),
        sa.UniqueConstraint("tenant_id", "class_id", "name", name="uq_configuration_items_name"),
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_attributes",
        "configuration_items",
        ["attributes"],
        unique=False,
        schema="cmdb",
        postgresql_using="gin",
        postgresql_ops={"attributes": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_configuration_items_class",
        "configuration_items",
        ["tenant_id", "class_id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_created",
        "configuration_items",
        ["tenant_id", "created_at", "id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_criticality",
        "configuration_items",
        ["tenant_id", "criticality", "name", "id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_name",
        "configuration_items",
        ["tenant_id", "name", "id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_owner",
        "configuration_items",
        ["tenant_id", "owner_id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_search",
        "configuration_items",
        ["search"],
        unique=False,
        schema="cmdb",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_configuration_items_team",
        "configuration_items",
        ["tenant_id", "support_team_id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_configuration_items_updated",
        "configuration_items",
        ["tenant_id", "updated_at", "id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "uq_configuration_items_source_external_id",
        "configuration_items",
        ["tenant_id", "source", "external_id"],
        unique=True,
        schema="cmdb",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_table(
        "relationship_rules",
        sa.Column("parent_class_id", sa.UUID(), nullable=False),
        sa.Column("type_id", sa.UUID(), nullable=False),
        sa.Column("child_class_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["child_class_id"],
            ["cmdb.ci_classes.id"],
            name=op.f("fk_relationship_rules_child_class_id_ci_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_class_id"],
            ["cmdb.ci_classes.id"],
            name=op.f("fk_relationship_rules_parent_class_id_ci_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["cmdb.relationship_types.id"],
            name=op.f("fk_relationship_rules_type_id_relationship_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relationship_rules")),
        sa.UniqueConstraint(
            "parent_class_id", "type_id", "child_class_id", name="uq_relationship_rules_triple"
        ),
        schema="cmdb",
    )
    op.create_table(
        "ci_changes",
        sa.Column("ci_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ci_id"],
            ["cmdb.configuration_items.id"],
            name=op.f("fk_ci_changes_ci_id_configuration_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_changes")),
        schema="cmdb",
    )
    op.create_index(
        "ix_ci_changes_ci", "ci_changes", ["ci_id", "created_at", "id"], unique=False, schema="cmdb"
    )
    op.create_table(
        "ci_relationships",
        sa.Column("parent_id", sa.UUID(), nullable=False),
        sa.Column("child_id", sa.UUID(), nullable=False),
        sa.Column("type_id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("parent_id <> child_id", name=op.f("ck_ci_relationships_not_to_itself")),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["cmdb.configuration_items.id"],
            name=op.f("fk_ci_relationships_child_id_configuration_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["cmdb.configuration_items.id"],
            name=op.f("fk_ci_relationships_parent_id_configuration_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["cmdb.relationship_types.id"],
            name=op.f("fk_ci_relationships_type_id_relationship_types"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_relationships")),
        sa.UniqueConstraint(
            "tenant_id", "parent_id", "child_id", "type_id", name="uq_ci_relationships_edge"
        ),
        schema="cmdb",
    )
    op.create_index(
        "ix_ci_relationships_child",
        "ci_relationships",
        ["tenant_id", "child_id"],
        unique=False,
        schema="cmdb",
    )
    op.create_index(
        "ix_ci_relationships_parent",
        "ci_relationships",
        ["tenant_id", "parent_id"],
        unique=False,
        schema="cmdb",
    )

    for table in TABLES:
        wall(table)


def downgrade() -> None:
    for table in TABLES:
        unwall(table)
    op.drop_index("ix_ci_relationships_parent", table_name="ci_relationships", schema="cmdb")
    op.drop_index("ix_ci_relationships_child", table_name="ci_relationships", schema="cmdb")
    op.drop_table("ci_relationships", schema="cmdb")
    op.drop_index("ix_ci_changes_ci", table_name="ci_changes", schema="cmdb")
    op.drop_table("ci_changes", schema="cmdb")
    op.drop_table("relationship_rules", schema="cmdb")
    op.drop_index(
        "uq_configuration_items_source_external_id",
        table_name="configuration_items",
        schema="cmdb",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index("ix_configuration_items_updated", table_name="configuration_items", schema="cmdb")
    op.drop_index("ix_configuration_items_team", table_name="configuration_items", schema="cmdb")
    op.drop_index(
        "ix_configuration_items_search",
        table_name="configuration_items",
        schema="cmdb",
        postgresql_using="gin",
    )
    op.drop_index("ix_configuration_items_owner", table_name="configuration_items", schema="cmdb")
    op.drop_index("ix_configuration_items_name", table_name="configuration_items", schema="cmdb")
    op.drop_index(
        "ix_configuration_items_criticality", table_name="configuration_items", schema="cmdb"
    )
    op.drop_index("ix_configuration_items_created", table_name="configuration_items", schema="cmdb")
    op.drop_index("ix_configuration_items_class", table_name="configuration_items", schema="cmdb")
    op.drop_index(
        "ix_configuration_items_attributes",
        table_name="configuration_items",
        schema="cmdb",
        postgresql_using="gin",
        postgresql_ops={"attributes": "jsonb_path_ops"},
    )
    op.drop_table("configuration_items", schema="cmdb")
    op.drop_table("ci_attributes", schema="cmdb")
    op.drop_table("relationship_types", schema="cmdb")
    op.drop_index("ix_ci_classes_parent", table_name="ci_classes", schema="cmdb")
    op.drop_table("ci_classes", schema="cmdb")

    drop_schema(SCHEMA)
