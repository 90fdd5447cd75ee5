"""event sequence: a gapless delivery order for the outbox, the resume position of subscribers

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-27 04:00:00

`id` is taken when a transaction inserts its event, so under concurrent transactions ids
commit out of order: a subscriber that resumed "after id 7" could miss an id 6 that committed
later. The relay therefore stamps committed events with `seq`, under a transaction-level
advisory lock, as max(seq) + 1, 2, ... in id order. `seq` is gapless and grows in the order
events became visible, so "every event after seq N" is exact; it is the id clients see.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("seq", sa.BigInteger(), nullable=True), schema="events")
    op.create_index("ux_outbox_seq", "outbox", ["seq"], unique=True, schema="events")
    op.create_index("ix_outbox_tenant_seq", "outbox", ["tenant_id", "seq"], schema="events")
    op.create_index(
        "ix_outbox_unsequenced",
        "outbox",
        ["id"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("seq IS NULL"),
    )
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index(
        "ix_outbox_unsequenced",
        table_name="outbox",
        schema="events",
        postgresql_where=sa.text("seq IS NULL"),
    )
    op.drop_index("ix_outbox_tenant_seq", table_name="outbox", schema="events")
    op.drop_index("ux_outbox_seq", table_name="outbox", schema="events")
    op.drop_column("outbox", "seq", schema="events")
