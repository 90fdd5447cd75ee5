"""identity and incidents schemas

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:59:48.106124
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SCHEMAS = ("identity", "incidents", "events")


def upgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="events",
    )
    op.create_index(
        "ix_outbox_tenant_created",
        "outbox",
        ["tenant_id", "created_at"],
        unique=False,
        schema="events",
    )
    # Wake the outbox relay when events commit (NOTIFY is delivered at commit, once per
    # statement); the relay also polls, so a missed notification only delays delivery.
    op.execute(
        """
        CREATE FUNCTION events.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('opsgraph_outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON events.outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION events.notify_outbox()"
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
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
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
        schema="identity",
    )
    op.create_index(
        "ix_team_members_user", "team_members", ["user_id"], unique=False, schema="identity"
    )
    op.create_table(
        "teams",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_teams_tenant_name"),
        schema="identity",
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
        schema="identity",
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("roles", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema="identity",
    )
    op.create_index(
        "ix_users_tenant_name",
        "users",
        ["tenant_id", "name", "id"],
        unique=False,
        schema="identity",
    )
    op.create_index(
        "uq_users_tenant_email",
        "users",
        ["tenant_id", sa.literal_column("lower(email)")],
        unique=True,
        schema="identity",
    )
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


def downgrade() -> None:
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
    op.drop_index("uq_users_tenant_email", table_name="users", schema="identity")
    op.drop_index("ix_users_tenant_name", table_name="users", schema="identity")
    op.drop_table("users", schema="identity")
    op.drop_table("tenants", schema="identity")
    op.drop_table("teams", schema="identity")
    op.drop_index("ix_team_members_user", table_name="team_members", schema="identity")
    op.drop_table("team_members", schema="identity")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index("ix_outbox_tenant_created", table_name="outbox", schema="events")
    op.execute("DROP TRIGGER outbox_notify ON events.outbox")
    op.execute("DROP FUNCTION events.notify_outbox()")
    op.drop_table("outbox", schema="events")
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema}")
