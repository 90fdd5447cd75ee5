"""webhooks: outbound webhook subscriptions, their deliveries and the attempts of each

Revision ID: webhooks_0001
Revises:
Create Date: 2026-12-05 19:00:00

Every table is walled (db/walls.py). Deliveries are queued on the durable job queue
(core_0003), hence the dependency on it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import drop_schema, open_schema, unwall, wall

revision: str = "webhooks_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("webhooks",)
depends_on: str | Sequence[str] | None = ("core_0003",)

SCHEMA = "webhooks"
TABLES = ("webhooks.webhooks", "webhooks.webhook_deliveries", "webhooks.webhook_attempts")


def _row_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
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
    ]


def upgrade() -> None:
    open_schema(SCHEMA)
    op.create_table(
        "webhooks",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column(
            "conditions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column(
            "owner_permissions",
            postgresql.ARRAY(sa.String(length=100)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        schema=SCHEMA,
    )
    op.create_index("ix_webhooks_active", "webhooks", ["tenant_id", "active"], schema=SCHEMA)
    op.create_table(
        "webhook_deliveries",
        sa.Column("webhook_id", sa.UUID(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("event_kind", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        *_row_columns(),
        sa.CheckConstraint(
            "status IN ('PENDING','RETRYING','DELIVERED','DEAD','SKIPPED')",
            name=op.f("ck_webhook_deliveries_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "tenant_id", "webhook_id", "event_seq", name="uq_webhook_deliveries_event"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_webhook_deliveries_webhook",
        "webhook_deliveries",
        ["tenant_id", "webhook_id", "created_at", "id"],
        schema=SCHEMA,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_webhook_attempts_delivery",
        "webhook_attempts",
        ["tenant_id", "delivery_id", "attempt"],
        schema=SCHEMA,
    )
    for table in TABLES:
        wall(table)


def downgrade() -> None:
    for table in TABLES:
        unwall(table)
    op.drop_table("webhook_attempts", schema=SCHEMA)
    op.drop_table("webhook_deliveries", schema=SCHEMA)
    op.drop_table("webhooks", schema=SCHEMA)
    drop_schema(SCHEMA)
