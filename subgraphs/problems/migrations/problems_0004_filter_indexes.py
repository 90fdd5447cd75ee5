"""problems: filters by a CI and by creation time find their problems through an index

Revision ID: problems_0004
Revises: problems_0003
Create Date: 2026-12-06 23:10:00

`problems(filter: {ciId: ...})` finds the problems naming a CI each way by an index
(resolvers/work_filters.about_ci): as their CI, among their affected CIs, and as their root
cause's CI, which had none; `createdAfter` and `createdBefore` read all of the tenant's
problems: `created_at` had none either.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "problems_0004"
down_revision: str | None = "problems_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_problems_root_cause_ci": ["tenant_id", "root_cause_ci_id"],
    "ix_problems_created": ["tenant_id", "created_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "problems", columns, schema="problems")


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="problems", schema="problems")
