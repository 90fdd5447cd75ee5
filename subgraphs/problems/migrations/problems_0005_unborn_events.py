"""problems: a problem deleted before its commit takes its events with it

Revision ID: problems_0005
Revises: problems_0004
Create Date: 2026-12-07 05:20:00

As incidents_0015 for incidents: the number-at-commit trigger (problems_0002) now deletes
the outbox events of a problem deleted before its transaction committed, instead of leaving
them with a null number (db/numbering.py).
"""

from collections.abc import Sequence

from db.numbering import replace_number_at_commit

revision: str = "problems_0005"
down_revision: str | None = "problems_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE, COUNTER, NUMBER = "problems.problems", "problems.problem_numbers", "'PRB-' || allocated"


def upgrade() -> None:
    replace_number_at_commit(TABLE, COUNTER, NUMBER)


def downgrade() -> None:
    replace_number_at_commit(TABLE, COUNTER, NUMBER, unborn_events=False)
