"""incidents: filters by creation time find their incidents through an index

Revision ID: incidents_0013
Revises: incidents_0012
Create Date: 2026-12-06 23:20:00

`incidents(filter: {createdAfter: ...})` and `createdBefore` read all of the tenant's
incidents (17-25 ms at 100,000 for a page of the last hour's): `created_at`, unlike
`opened_at` and `updated_at`, had no index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "incidents_0013"
down_revision: str | None = "incidents_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_incidents_created", "incidents", ["tenant_id", "created_at"], schema="incidents"
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_created", table_name="incidents", schema="incidents")
