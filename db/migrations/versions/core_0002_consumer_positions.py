"""event consumers' positions

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-12-05 16:00:00

`events.consumer_positions`: one row per event consumer (resolvers/consumers.py), keyed by its
name, holding the last event `seq` it handled, how often it was rebuilt (replayed from the
oldest retained event) and its failures. Positions cross tenants (a
consumer follows every tenant's events), so the table has no tenant_id and no wall; the owner
creates the rows (the runner registers a consumer through the owner's connection) and records
failures. The application role may SELECT the rows and UPDATE only the columns a handled
event or a rebuild moves: the handler's transaction runs as the application role behind the event's
tenant wall, and that same transaction locks the row (FOR UPDATE needs an UPDATE grant) and
records the new position, so effects and position commit together. Trade-off: a statement
run as the application role could move a consumer's position; no GraphQL field touches the
table.

The relay's pruning keeps every event after the lowest position (db/outbox.py), so a row
whose consumer no longer runs anywhere holds events back until it is deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import grant

revision: str = "core_0002"
down_revision: str | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITIONS = "events.consumer_positions"


def upgrade() -> None:
    op.create_table(
        "consumer_positions",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rebuilds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("name", name=op.f("pk_consumer_positions")),
        schema="events",
    )
    grant(
        POSITIONS,
        "SELECT, UPDATE (last_seq, last_handled_at, consecutive_failures, rebuilds, updated_at)",
    )


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON {POSITIONS} FROM opsgraph_app")
    op.drop_table("consumer_positions", schema="events")
