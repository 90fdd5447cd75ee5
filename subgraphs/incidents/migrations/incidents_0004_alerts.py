"""incidents: alert intake — integrations, their handled notifications and delivery log; the
incident's integration, parent, alert count and last alert time

Revision ID: incidents_0004
Revises: incidents_0003
Create Date: 2026-12-12 10:00:00

An integration's open incidents are unique by (tenant, integration, external id): the alert's
fingerprint names one open incident. Other sources keep their unique external id per source.
The new tables are walled like the others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import unwall, wall

revision: str = "incidents_0004"
down_revision: str | None = "incidents_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "incidents.integrations",
    "incidents.alert_notifications",
    "incidents.integration_deliveries",
)


def _row_columns() -> list[sa.Column[object]]:
    return [
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
    ]


def upgrade() -> None:
    for column in (
        sa.Column("integration_id", sa.UUID(), nullable=True),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("alert_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=True),
    ):
        op.add_column("incidents", column, schema="incidents")
    op.create_check_constraint(
        op.f("ck_incidents_alert_count_natural"),
        "incidents",
        "alert_count >= 0",
        schema="incidents",
    )
    op.drop_index("uq_incidents_source_external_id", table_name="incidents", schema="incidents")
    op.create_index(
        "uq_incidents_source_external_id",
        "incidents",
        ["tenant_id", "source", "external_id"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text("external_id IS NOT NULL AND integration_id IS NULL"),
    )
    op.create_index(
        "uq_incidents_open_alert",
        "incidents",
        ["tenant_id", "integration_id", "external_id"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text(
            "integration_id IS NOT NULL AND status IN ('OPEN','IN_PROGRESS','ON_HOLD')"
        ),
    )
    op.create_index(
        "ix_incidents_alert",
        "incidents",
        ["tenant_id", "integration_id", "external_id", "resolved_at"],
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_parent", "incidents", ["tenant_id", "parent_id"], schema="incidents"
    )
    op.create_table(
        "integrations",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("group_by", sa.String(length=8), nullable=False),
        sa.Column("recovery_policy", sa.String(length=16), nullable=False),
        sa.Column("flap_window_minutes", sa.Integer(), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_row_columns(),
        sa.CheckConstraint("kind IN ('ALERTMANAGER')", name=op.f("ck_integrations_kind_known")),
        sa.CheckConstraint(
            "group_by IN ('ALERT','GROUP')", name=op.f("ck_integrations_group_by_known")
        ),
        sa.CheckConstraint(
            "recovery_policy IN ('AUTO_RESOLVE','NOTE_ONLY','IGNORE')",
            name=op.f("ck_integrations_recovery_known"),
        ),
        sa.CheckConstraint(
            "flap_window_minutes BETWEEN 0 AND 1440",
            name=op.f("ck_integrations_flap_window_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_integrations_tenant_name"),
        schema="incidents",
    )
    op.create_table(
        "alert_notifications",
        sa.Column("integration_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
        sa.UniqueConstraint(
            "tenant_id", "integration_id", "key", name="uq_alert_notifications_tenant_key"
        ),
        schema="incidents",
    )
    op.create_table(
        "integration_deliveries",
        sa.Column("integration_id", sa.UUID(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_deliveries")),
        schema="incidents",
    )
    op.create_index(
        "ix_integration_deliveries_integration",
        "integration_deliveries",
        ["tenant_id", "integration_id", "created_at", "id"],
        schema="incidents",
    )
    for table in TABLES:
        wall(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        unwall(table)
    op.drop_index(
        "ix_integration_deliveries_integration",
        table_name="integration_deliveries",
        schema="incidents",
    )
    op.drop_table("integration_deliveries", schema="incidents")
    op.drop_table("alert_notifications", schema="incidents")
    op.drop_table("integrations", schema="incidents")
    op.drop_index("ix_incidents_parent", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_alert", table_name="incidents", schema="incidents")
    op.drop_index("uq_incidents_open_alert", table_name="incidents", schema="incidents")
    op.drop_index("uq_incidents_source_external_id", table_name="incidents", schema="incidents")
    # Alert incidents share fingerprints across firings: each keeps its id in the external id,
    # so the older, stricter index holds again.
    op.execute(
        "UPDATE incidents.incidents SET external_id = left(external_id, 150) || ':' || id "
        "WHERE integration_id IS NOT NULL AND external_id IS NOT NULL"
    )
    op.create_index(
        "uq_incidents_source_external_id",
        "incidents",
        ["tenant_id", "source", "external_id"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_constraint(
        op.f("ck_incidents_alert_count_natural"), "incidents", type_="check", schema="incidents"
    )
    for column in ("last_alert_at", "alert_count", "parent_id", "integration_id"):
        op.drop_column("incidents", column, schema="incidents")
