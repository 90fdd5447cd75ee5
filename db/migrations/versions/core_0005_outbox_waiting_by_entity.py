"""outbox: the events still waiting to be sequenced, by entity

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-06 15:00:00

A number handed out at commit (db/numbering.py) is written into the numbered row's events
before they are sequenced; this partial index finds them by entity without reading the other
waiting events (or the entries of those the relay has sequenced since the last vacuum).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "core_0005"
down_revision: str | None = "core_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_outbox_waiting_entity ON events.outbox (entity_id) WHERE seq IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX events.ix_outbox_waiting_entity")
