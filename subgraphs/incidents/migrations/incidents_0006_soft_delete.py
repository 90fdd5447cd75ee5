"""incidents: soft delete (who deleted an incident, when and why; deleted incidents hidden from
the application role by a restrictive policy) and the tenant's auto-close setting

Revision ID: incidents_0006
Revises: incidents_0005
Create Date: 2026-12-05 20:00:00

A deleted incident stays in its table until the purge job removes it (deletion.py). The
application role does not see it unless its transaction asks to (`app.include_deleted`, set
transaction-locally by the delete, restore and purge): a restrictive policy, AND-ed with the
tenant wall, so every read path (lists, loaders, entities, subscriptions, counts, the compiled
fast path, other helpers' reads to come) leaves deleted incidents out without a filter of its
own. Writes to a deleted incident find nothing (NOT_FOUND) for the same reason.

An alert's fingerprint names one open incident that is not deleted: a deleted open alert
incident no longer keeps its alert from opening a new one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "incidents_0006"
down_revision: str | None = "incidents_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_ROWS = (
    "CREATE POLICY live_rows ON incidents.incidents AS RESTRICTIVE FOR ALL "
    "USING (deleted_at IS NULL OR current_setting('app.include_deleted', true) = 'on') "
    "WITH CHECK (true)"
)
OPEN_ALERT = "integration_id IS NOT NULL AND status IN ('OPEN','IN_PROGRESS','ON_HOLD')"


def _open_alert_index(where: str) -> None:
    op.create_index(
        "uq_incidents_open_alert",
        "incidents",
        ["tenant_id", "integration_id", "external_id"],
        unique=True,
        schema="incidents",
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    for column in (
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.UUID(), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
    ):
        op.add_column("incidents", column, schema="incidents")
    op.execute(LIVE_ROWS)
    op.drop_index("uq_incidents_open_alert", table_name="incidents", schema="incidents")
    _open_alert_index(f"{OPEN_ALERT} AND deleted_at IS NULL")
    op.add_column(
        "incident_settings",
        sa.Column("auto_close_days", sa.Integer(), server_default="7", nullable=False),
        schema="incidents",
    )
    op.create_check_constraint(
        op.f("ck_incident_settings_auto_close_range"),
        "incident_settings",
        "auto_close_days BETWEEN 0 AND 365",
        schema="incidents",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_incident_settings_auto_close_range"),
        "incident_settings",
        type_="check",
        schema="incidents",
    )
    op.drop_column("incident_settings", "auto_close_days", schema="incidents")
    # Deleted incidents not yet purged come back into sight: nothing is lost by going down.
    op.drop_index("uq_incidents_open_alert", table_name="incidents", schema="incidents")
    _open_alert_index(OPEN_ALERT)
    op.execute("DROP POLICY live_rows ON incidents.incidents")
    for column in ("delete_reason", "deleted_by", "deleted_at"):
        op.drop_column("incidents", column, schema="incidents")
