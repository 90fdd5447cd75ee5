"""incidents: an integration's delivery log as a ring of 100 slots

Revision ID: incidents_0010
Revises: incidents_0009
Create Date: 2026-12-05 22:00:00

The receiver used to insert each delivery and delete what fell beyond the newest 100, which
read (and locked) every older row still in the index on each post: under an alert storm the
posts queued on one another. Now an integration numbers its deliveries (`delivery_seq`) and
delivery `seq` writes slot `seq % 100`: one upsert per post, whatever the history.

Existing deliveries are numbered by age per integration; the newest 100 are kept, each in its
slot, and the integration's counter starts after them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "incidents_0010"
down_revision: str | None = "incidents_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 100


def upgrade() -> None:
    op.add_column(
        "integrations",
        sa.Column("delivery_seq", sa.BigInteger(), server_default="0", nullable=False),
        schema="incidents",
    )
    op.add_column("integration_deliveries", sa.Column("seq", sa.BigInteger()), schema="incidents")
    op.add_column(
        "integration_deliveries", sa.Column("slot", sa.SmallInteger()), schema="incidents"
    )
    op.execute(
        f"""
        WITH numbered AS (
            SELECT id,
                   row_number() OVER mine AS seq,
                   count(*) OVER (PARTITION BY tenant_id, integration_id) AS total
            FROM incidents.integration_deliveries
            WINDOW mine AS (PARTITION BY tenant_id, integration_id ORDER BY created_at, id)
        ), dropped AS (
            DELETE FROM incidents.integration_deliveries AS d
            USING numbered AS n
            WHERE d.id = n.id AND n.seq <= n.total - {SLOTS}
        )
        UPDATE incidents.integration_deliveries AS d
        SET seq = n.seq, slot = n.seq % {SLOTS}
        FROM numbered AS n
        WHERE d.id = n.id AND n.seq > n.total - {SLOTS}
        """
    )
    op.execute(
        """
        UPDATE incidents.integrations AS i
        SET delivery_seq = d.last
        FROM (
            SELECT tenant_id, integration_id, max(seq) AS last
            FROM incidents.integration_deliveries
            GROUP BY tenant_id, integration_id
        ) AS d
        WHERE i.tenant_id = d.tenant_id AND i.id = d.integration_id
        """
    )
    for column in ("seq", "slot"):
        op.alter_column("integration_deliveries", column, nullable=False, schema="incidents")
    op.drop_index(
        "ix_integration_deliveries_integration",
        table_name="integration_deliveries",
        schema="incidents",
    )
    op.create_unique_constraint(
        "uq_integration_deliveries_slot",
        "integration_deliveries",
        ["tenant_id", "integration_id", "slot"],
        schema="incidents",
    )
    op.create_check_constraint(
        op.f("ck_integration_deliveries_slot_range"),
        "integration_deliveries",
        f"slot >= 0 AND slot < {SLOTS}",
        schema="incidents",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_integration_deliveries_slot_range"),
        "integration_deliveries",
        type_="check",
        schema="incidents",
    )
    op.drop_constraint(
        "uq_integration_deliveries_slot",
        "integration_deliveries",
        type_="unique",
        schema="incidents",
    )
    op.create_index(
        "ix_integration_deliveries_integration",
        "integration_deliveries",
        ["tenant_id", "integration_id", "created_at", "id"],
        schema="incidents",
    )
    op.drop_column("integration_deliveries", "slot", schema="incidents")
    op.drop_column("integration_deliveries", "seq", schema="incidents")
    op.drop_column("integrations", "delivery_seq", schema="incidents")
