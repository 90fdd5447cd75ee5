"""cmdb: the read model of the incidents that name each CI

Revision ID: cmdb_0003
Revises: cmdb_0002
Create Date: 2026-12-06 10:00:00

`incident_references` holds, per incident, the CIs it names (its `ci`, its `affectedCis`),
kept by the consumer `cmdb.incident-references` from the incidents domain's events, so that
a CI some incident names is not deleted. Walled like every table (db/walls.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

revision: str = "cmdb_0003"
down_revision: str | None = "cmdb_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "cmdb.incident_references"


def upgrade() -> None:
    op.create_table(
        "incident_references",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("ci_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
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
            "role IN ('CI', 'AFFECTED')", name=op.f("ck_incident_references_known_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_references")),
        sa.UniqueConstraint(
            "tenant_id",
            "incident_id",
            "role",
            "ci_id",
            name="uq_incident_references_reference",
        ),
        schema="cmdb",
    )
    op.create_index(
        "ix_incident_references_ci",
        "incident_references",
        ["tenant_id", "ci_id"],
        unique=False,
        schema="cmdb",
    )
    wall(TABLE)


def downgrade() -> None:
    unwall(TABLE)
    op.drop_index("ix_incident_references_ci", table_name="incident_references", schema="cmdb")
    op.drop_table("incident_references", schema="cmdb")
