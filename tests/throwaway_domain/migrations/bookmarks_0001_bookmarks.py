"""bookmarks: the throwaway test domain's one table

Revision ID: bookmarks_0001
Revises:
Create Date: 2026-12-05 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import drop_schema, open_schema, unwall, wall

revision: str = "bookmarks_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("bookmarks",)
depends_on: str | Sequence[str] | None = ("core_0001",)


def upgrade() -> None:
    open_schema("bookmarks")
    op.create_table(
        "bookmarks",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookmarks")),
        schema="bookmarks",
    )
    wall("bookmarks.bookmarks")


def downgrade() -> None:
    unwall("bookmarks.bookmarks")
    op.drop_table("bookmarks", schema="bookmarks")
    drop_schema("bookmarks")
