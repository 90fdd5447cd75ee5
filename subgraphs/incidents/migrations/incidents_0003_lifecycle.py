"""incidents: the lifecycle's fields (hold reason, resolution, cancel reason, reopen count),
the per-tenant incident settings, and the event a reaction's note was written for

Revision ID: incidents_0003
Revises: incidents_0002
Create Date: 2026-12-05 16:00:00

Existing rows get what the new rules require, so the new check constraints hold: ON_HOLD
incidents wait for a vendor (nothing says for what, and AWAITING_CALLER would wrongly return
them on the caller's next comment), RESOLVED and CLOSED ones are FIXED with a note saying the
code was not recorded, CANCELLED ones get a reason saying the same. The settings table is
walled like the others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

revision: str = "incidents_0003"
down_revision: str | None = "incidents_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS = "incidents.incident_settings"
NOT_RECORDED = "Recorded before resolution codes and reasons were kept."


def upgrade() -> None:
    for column in (
        sa.Column("hold_reason", sa.String(length=32), nullable=True),
        sa.Column("resolution_code", sa.String(length=32), nullable=True),
        sa.Column("resolution_notes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
    ):
        op.add_column("incidents", column, schema="incidents")
    op.execute(
        "UPDATE incidents.incidents SET hold_reason = 'AWAITING_VENDOR' WHERE status = 'ON_HOLD'"
    )
    op.execute(
        sa.text(
            "UPDATE incidents.incidents SET resolution_code = 'FIXED', resolution_notes = :notes "
            "WHERE status IN ('RESOLVED', 'CLOSED')"
        ).bindparams(notes=NOT_RECORDED)
    )
    op.execute(
        sa.text(
            "UPDATE incidents.incidents SET cancel_reason = :notes WHERE status = 'CANCELLED'"
        ).bindparams(notes=NOT_RECORDED)
    )
    for name, condition in CHECKS:
        op.create_check_constraint(op.f(name), "incidents", condition, schema="incidents")
    op.create_table(
        "incident_settings",
        sa.Column("reopen_window_days", sa.Integer(), nullable=False),
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
            "reopen_window_days BETWEEN 0 AND 365",
            name=op.f("ck_incident_settings_reopen_window_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_settings")),
        sa.UniqueConstraint("tenant_id", name="uq_incident_settings_tenant"),
        schema="incidents",
    )
    wall(SETTINGS)
    op.add_column(
        "incident_comments",
        sa.Column("source_event", sa.BigInteger(), nullable=True),
        schema="incidents",
    )
    op.create_index(
        "uq_incident_comments_source_event",
        "incident_comments",
        ["tenant_id", "incident_id", "source_event"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text("source_event IS NOT NULL"),
    )


CHECKS = (
    ("ck_incidents_held_for_reason", "(status = 'ON_HOLD') = (hold_reason IS NOT NULL)"),
    (
        "ck_incidents_resolved_with_code",
        "status NOT IN ('RESOLVED','CLOSED') OR resolution_code IS NOT NULL",
    ),
    ("ck_incidents_cancelled_for_reason", "status <> 'CANCELLED' OR cancel_reason IS NOT NULL"),
    ("ck_incidents_reopen_count_natural", "reopen_count >= 0"),
)


def downgrade() -> None:
    op.drop_index(
        "uq_incident_comments_source_event", table_name="incident_comments", schema="incidents"
    )
    op.drop_column("incident_comments", "source_event", schema="incidents")
    unwall(SETTINGS)
    op.drop_table("incident_settings", schema="incidents")
    for name, _ in CHECKS:
        op.drop_constraint(op.f(name), "incidents", type_="check", schema="incidents")
    for column in (
        "reopen_count",
        "cancel_reason",
        "resolution_notes",
        "resolution_code",
        "hold_reason",
    ):
        op.drop_column("incidents", column, schema="incidents")
