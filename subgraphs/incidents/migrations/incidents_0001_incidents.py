"""incidents: incidents, their comments and change history, the per-tenant numbers

Revision ID: incidents_0001
Revises:
Create Date: 2026-12-05 08:30:00

Every table is walled (db/walls.py), the per-tenant counter `incident_numbers` included; the
application role reads and writes them all.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import drop_schema, open_schema, unwall, wall

revision: str = "incidents_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("incidents",)
depends_on: str | Sequence[str] | None = ("core_0001",)

SCHEMA = "incidents"
TABLES = (
    "incidents.incidents",
    "incidents.incident_comments",
    "incidents.incident_changes",
    "incidents.incident_numbers",
)


def upgrade() -> None:
    open_schema(SCHEMA)
    op.create_table(
        "incident_changes",
        sa.Column("incident_id", sa.UUID(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_changes")),
        schema="incidents",
    )
    op.create_index(
        "ix_incident_changes_incident",
        "incident_changes",
        ["incident_id", "created_at", "id"],
        unique=False,
        schema="incidents",
    )
    op.create_table(
        "incident_comments",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
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
            "visibility IN ('WORK_NOTE','PUBLIC')",
            name=op.f("ck_incident_comments_visibility_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_comments")),
        schema="incidents",
    )
    op.create_index(
        "ix_incident_comments_incident",
        "incident_comments",
        ["incident_id", "created_at", "id"],
        unique=False,
        schema="incidents",
    )
    op.create_table(
        "incident_numbers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_incident_numbers")),
        schema="incidents",
    )
    op.create_table(
        "incidents",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("priority_overridden", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("impact", sa.String(length=8), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("reporter_id", sa.UUID(), nullable=True),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('english'::regconfig, (title::text || ' '::text) || description)",
                persisted=True,
            ),
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
            "status IN ('OPEN','IN_PROGRESS','ON_HOLD','RESOLVED','CLOSED','CANCELLED')",
            name=op.f("ck_incidents_status_known"),
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name=op.f("ck_incidents_priority_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_incidents_tenant_number"),
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_assignee",
        "incidents",
        ["tenant_id", "assignee_id"],
        unique=False,
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_opened",
        "incidents",
        ["tenant_id", "opened_at", "id"],
        unique=False,
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_priority",
        "incidents",
        ["tenant_id", "priority", "opened_at", "id"],
        unique=False,
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_search",
        "incidents",
        ["search"],
        unique=False,
        schema="incidents",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_incidents_status_opened",
        "incidents",
        ["tenant_id", "status", "opened_at", "id"],
        unique=False,
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_team", "incidents", ["tenant_id", "team_id"], unique=False, schema="incidents"
    )
    op.create_index(
        "ix_incidents_updated",
        "incidents",
        ["tenant_id", "updated_at", "id"],
        unique=False,
        schema="incidents",
    )
    op.create_index(
        "uq_incidents_source_external_id",
        "incidents",
        ["tenant_id", "source", "external_id"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    for table in TABLES:
        wall(table)


def downgrade() -> None:
    for table in TABLES:
        unwall(table)
    op.drop_index(
        "uq_incidents_source_external_id",
        table_name="incidents",
        schema="incidents",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index("ix_incidents_updated", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_team", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_status_opened", table_name="incidents", schema="incidents")
    op.drop_index(
        "ix_incidents_search", table_name="incidents", schema="incidents", postgresql_using="gin"
    )
    op.drop_index("ix_incidents_priority", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_opened", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_assignee", table_name="incidents", schema="incidents")
    op.drop_table("incidents", schema="incidents")
    op.drop_table("incident_numbers", schema="incidents")
    op.drop_index(
        "ix_incident_comments_incident", table_name="incident_comments", schema="incidents"
    )
    op.drop_table("incident_comments", schema="incidents")
    op.drop_index("ix_incident_changes_incident", table_name="incident_changes", schema="incidents")
    op.drop_table("incident_changes", schema="incidents")
    drop_schema(SCHEMA)
