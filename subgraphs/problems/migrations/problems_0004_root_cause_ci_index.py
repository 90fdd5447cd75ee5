"""problems: the problems whose root cause is a CI, found through an index

Revision ID: problems_0004
Revises: problems_0003
Create Date: 2026-12-06 23:10:00

`problems(filter: {ciId: ...})` finds the problems naming a CI each way by an index
(resolvers/work_filters.about_ci): as their CI, among their affected CIs, and as their root
cause's CI, which had none.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "problems_0004"
down_revision: str | None = "problems_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_problems_root_cause_ci",
        "problems",
        ["tenant_id", "root_cause_ci_id"],
        schema="problems",
    )


def downgrade() -> None:
    op.drop_index("ix_problems_root_cause_ci", table_name="problems", schema="problems")
