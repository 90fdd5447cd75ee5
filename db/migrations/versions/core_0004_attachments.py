"""attachments: files attached to any domain's entities, and their bytes

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-05 22:00:00

A shared facility (db/tables/attachments.py), so a core revision: the incidents domain uses it
first, later domains attach files to their entities through the same tables. `files` and
`chunks` are walled; the application role may read, add and delete rows (an attachment is
never changed once stored). Chunks are stored as they are (no TOAST compression: most
uploads are compressed formats already).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import drop_schema, open_schema, unwall, wall

revision: str = "core_0004"
down_revision: str | None = "core_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "attachments"
FILES = f"{SCHEMA}.files"
CHUNKS = f"{SCHEMA}.chunks"


def upgrade() -> None:
    open_schema(SCHEMA)
    op.create_table(
        "files",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("owner_type", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.UUID(), nullable=True),
        sa.Column("store", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_files_owner",
        "files",
        ["tenant_id", "owner_type", "owner_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_table(
        "chunks",
        sa.Column("attachment_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("attachment_id", "seq", name=op.f("pk_chunks")),
        schema=SCHEMA,
    )
    op.execute(f"ALTER TABLE {CHUNKS} ALTER COLUMN data SET STORAGE EXTERNAL")
    wall(FILES, "SELECT, INSERT, DELETE")
    wall(CHUNKS, "SELECT, INSERT, DELETE")


def downgrade() -> None:
    for table in (CHUNKS, FILES):
        unwall(table)
    op.drop_table("chunks", schema=SCHEMA)
    op.drop_index("ix_files_owner", table_name="files", schema=SCHEMA)
    op.drop_table("files", schema=SCHEMA)
    drop_schema(SCHEMA)
