"""problems: numbers handed out at commit

Revision ID: problems_0002
Revises: problems_0001
Create Date: 2026-12-06 15:00:00

As incidents_0011 does for incidents: a problem is inserted without a number and numbered by
a deferred trigger as its transaction commits (db/numbering.py); its events carry the number
as "PRB-17".
"""

from collections.abc import Sequence

from db.numbering import create_number_at_commit, drop_number_at_commit

revision: str = "problems_0002"
down_revision: str | None = "problems_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("core_0005",)

TABLE = "problems.problems"


def upgrade() -> None:
    create_number_at_commit(
        TABLE, "problems.problem_numbers", event_number="'PRB-' || allocated", unborn_events=False
    )


def downgrade() -> None:
    drop_number_at_commit(TABLE)
