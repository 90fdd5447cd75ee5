"""incidents: major incidents, duplicates and watchers (issue 19's family of incidents)

Revision ID: incidents_0008
Revises: incidents_0007
Create Date: 2026-12-19 10:00:00

`parent_id` (incidents_0004, alert groups) is the parent/child link; this adds the major
incident's state and reason, the duplicate's link to its original, and the watchers table
(walled like the others). An incident is never its own parent or duplicate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

revision: str = "incidents_0008"
down_revision: str | None = "incidents_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHERS = "incidents.incident_watchers"
CHECKS = (
    (
        "ck_incidents_major_state_known",
        "major_state IS NULL OR major_state IN ('PROPOSED','ACCEPTED','REJECTED')",
    ),
    ("ck_incidents_not_own_duplicate", "duplicate_of_id IS NULL OR duplicate_of_id <> id"),
    ("ck_incidents_not_own_parent", "parent_id IS NULL OR parent_id <> id"),
)


def upgrade() -> None:
    for column in (
        sa.Column("major_state", sa.String(length=16), nullable=True),
        sa.Column("major_reason", sa.Text(), nullable=True),
        sa.Column("duplicate_of_id", sa.UUID(), nullable=True),
    ):
        op.add_column("incidents", column, schema="incidents")
    for name, condition in CHECKS:
        op.create_check_constraint(op.f(name), "incidents", condition, schema="incidents")
    op.create_index(
        "ix_incidents_major",
        "incidents",
        ["tenant_id", "major_state", "opened_at", "id"],
        schema="incidents",
        postgresql_where=sa.text("major_state IS NOT NULL"),
    )
    op.create_index(
        "ix_incidents_duplicate_of",
        "incidents",
        ["tenant_id", "duplicate_of_id"],
        schema="incidents",
        postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
    )
    op.create_table(
        "incident_watchers",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_watchers")),
        sa.UniqueConstraint(
            "tenant_id", "incident_id", "user_id", name="uq_incident_watchers_incident_user"
        ),
        schema="incidents",
    )
    wall(WATCHERS)


def downgrade() -> None:
    unwall(WATCHERS)
    op.drop_table("incident_watchers", schema="incidents")
    op.drop_index("ix_incidents_duplicate_of", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_major", table_name="incidents", schema="incidents")
    for name, _ in CHECKS:
        op.drop_constraint(op.f(name), "incidents", type_="check", schema="incidents")
    for column in ("duplicate_of_id", "major_reason", "major_state"):
        op.drop_column("incidents", column, schema="incidents")
