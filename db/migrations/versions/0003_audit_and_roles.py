"""audit log (append-only, partitioned by month) and custom roles per tenant

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:30:00

`audit.entries` is range-partitioned on `recorded_at`. This revision creates only its DEFAULT
partition, so an insert can never fail for want of a partition; the month partitions are the
owner's business at run time: `db.audit_partitions.ensure_partitions` (called by the server
at every start, as the owner) creates the current and the next months' partitions in the
`audit_partitions` schema and moves any rows of those months out of DEFAULT first. The
partitions live in their own schema, on which the application role has no USAGE: it reaches
the records only through the parent, whose privileges and tenant wall apply.

The application role may INSERT and SELECT audit records, nothing else: no UPDATE, DELETE or
TRUNCATE grant, so the log is append-only for every request. `identity.roles` is an ordinary
walled domain table (SELECT, INSERT, UPDATE, DELETE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "opsgraph_app"  # db.roles.APP_ROLE; spelled out here so this revision never changes
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
AUDIT = "audit.entries"
ROLES = "identity.roles"


def _wall(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON {table} "
        f"USING (tenant_id = {TENANT}) WITH CHECK (tenant_id = {TENANT})"
    )


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS audit")
    op.execute("CREATE SCHEMA IF NOT EXISTS audit_partitions")
    op.create_table(
        "entries",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column(
            "before",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "after",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", "recorded_at", name="pk_entries"),
        schema="audit",
        postgresql_partition_by="RANGE (recorded_at)",
    )
    op.create_index(
        "ix_entries_tenant_recorded", "entries", ["tenant_id", "recorded_at", "id"], schema="audit"
    )
    op.create_index(
        "ix_entries_tenant_entity",
        "entries",
        ["tenant_id", "entity_type", "entity_id", "recorded_at"],
        schema="audit",
    )
    op.create_index(
        "ix_entries_tenant_actor",
        "entries",
        ["tenant_id", "actor_id", "recorded_at"],
        schema="audit",
    )
    op.execute(f"CREATE TABLE audit_partitions.entries_default PARTITION OF {AUDIT} DEFAULT")

    op.create_table(
        "roles",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("permissions", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_roles_tenant_name"),
        schema="identity",
    )

    for table in (AUDIT, ROLES):
        _wall(table)
    op.execute(f"GRANT USAGE ON SCHEMA audit TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON {AUDIT} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {ROLES} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON {AUDIT}, {ROLES} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA audit FROM {APP_ROLE}")
    op.drop_table("roles", schema="identity")
    # Dropping the parent drops every partition, DEFAULT and month ones alike.
    op.drop_table("entries", schema="audit")
    op.execute("DROP SCHEMA audit_partitions")
    op.execute("DROP SCHEMA audit")
