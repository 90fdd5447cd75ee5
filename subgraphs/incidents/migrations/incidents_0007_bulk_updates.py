"""incidents: bulk updates (what each asked, its progress and per-incident results)

Revision ID: incidents_0007
Revises: incidents_0006
Create Date: 2026-12-05 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import unwall, wall

revision: str = "incidents_0007"
down_revision: str | None = "incidents_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "incidents.incident_bulk_updates"


def upgrade() -> None:
    op.create_table(
        "incident_bulk_updates",
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("change", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("succeeded", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "results",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
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
            "processed BETWEEN 0 AND total",
            name=op.f("ck_incident_bulk_updates_processed_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_bulk_updates")),
        schema="incidents",
    )
    wall(TABLE)


def downgrade() -> None:
    unwall(TABLE)
    op.drop_table("incident_bulk_updates", schema="incidents")
