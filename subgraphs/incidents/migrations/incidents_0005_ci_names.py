"""incidents: ci_names — the read model of configuration items' names and external ids that
alerts are mapped to, kept from the CMDB's events

Revision ID: incidents_0005
Revises: incidents_0004
Create Date: 2026-12-13 10:00:00

Walled like the other tables. The consumer `incidents.ci-names` is new to the database when
this runs: it starts from the oldest retained event (it has a reset), filling the model.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

revision: str = "incidents_0005"
down_revision: str | None = "incidents_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "incidents.ci_names"


def upgrade() -> None:
    op.create_table(
        "ci_names",
        sa.Column("ci_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("retired", sa.Boolean(), server_default="false", nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_names")),
        sa.UniqueConstraint("tenant_id", "ci_id", name="uq_ci_names_ci"),
        schema="incidents",
    )
    op.create_index(
        "ix_ci_names_name",
        "ci_names",
        ["tenant_id", sa.literal_column("lower(name)")],
        schema="incidents",
    )
    op.create_index(
        "ix_ci_names_external_id", "ci_names", ["tenant_id", "external_id"], schema="incidents"
    )
    wall(TABLE)


def downgrade() -> None:
    unwall(TABLE)
    op.drop_index("ix_ci_names_external_id", table_name="ci_names", schema="incidents")
    op.drop_index("ix_ci_names_name", table_name="ci_names", schema="incidents")
    op.drop_table("ci_names", schema="incidents")
