"""incidents: the configuration items an incident is about (the CMDB's, by id)

Revision ID: incidents_0002
Revises: incidents_0001
Create Date: 2026-12-05 13:20:00

`incidents.ci_id` holds the primary configuration item, `incident_affected_cis` the further
ones; both indexed by (tenant, CI) for `ConfigurationItem.incidents`. The new table is walled
like the others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

revision: str = "incidents_0002"
down_revision: str | None = "incidents_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AFFECTED = "incidents.incident_affected_cis"


def upgrade() -> None:
    op.add_column("incidents", sa.Column("ci_id", sa.UUID(), nullable=True), schema="incidents")
    op.create_index(
        "ix_incidents_ci", "incidents", ["tenant_id", "ci_id"], unique=False, schema="incidents"
    )
    op.create_table(
        "incident_affected_cis",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("ci_id", sa.UUID(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_affected_cis")),
        sa.UniqueConstraint("incident_id", "ci_id", name="uq_incident_affected_cis_incident_ci"),
        schema="incidents",
    )
    op.create_index(
        "ix_incident_affected_cis_ci",
        "incident_affected_cis",
        ["tenant_id", "ci_id"],
        unique=False,
        schema="incidents",
    )
    wall(AFFECTED)


def downgrade() -> None:
    unwall(AFFECTED)
    op.drop_index(
        "ix_incident_affected_cis_ci", table_name="incident_affected_cis", schema="incidents"
    )
    op.drop_table("incident_affected_cis", schema="incidents")
    op.drop_index("ix_incidents_ci", table_name="incidents", schema="incidents")
    op.drop_column("incidents", "ci_id", schema="incidents")
