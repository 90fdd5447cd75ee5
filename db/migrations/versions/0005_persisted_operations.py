"""persisted operations: API clients and their trusted documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

`identity.api_clients` (is a client safelist-only?) and `identity.persisted_documents` (the
operations registered for a client from its manifests), both behind the tenant wall. The
application role may only SELECT them: registration (`opsgraph persisted register`) runs as
the owner, requests only look documents up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "opsgraph_app"
SCHEMA = "identity"
TABLES = ("identity.api_clients", "identity.persisted_documents")
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def _row_columns() -> list[sa.Column[object]]:
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
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("safelist_only", sa.Boolean(), server_default="false", nullable=False),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("tenant_id", "client_id", name="uq_api_clients_tenant_client"),
        schema=SCHEMA,
    )
    op.create_table(
        "persisted_documents",
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persisted_documents")),
        sa.UniqueConstraint(
            "tenant_id", "client_id", "document_id", name="uq_persisted_documents_client_id"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_persisted_documents_client_sha256",
        "persisted_documents",
        ["tenant_id", "client_id", "sha256"],
        unique=False,
        schema=SCHEMA,
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_wall ON {table} "
            f"USING (tenant_id = {TENANT}) WITH CHECK (tenant_id = {TENANT})"
        )
    op.execute(f"GRANT SELECT ON {', '.join(TABLES)} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON {', '.join(TABLES)} FROM {APP_ROLE}")
    op.drop_index(
        "ix_persisted_documents_client_sha256", table_name="persisted_documents", schema=SCHEMA
    )
    op.drop_table("persisted_documents", schema=SCHEMA)
    op.drop_table("api_clients", schema=SCHEMA)
