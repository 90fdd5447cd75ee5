"""incidents: an incident deleted before its commit takes its events with it

Revision ID: incidents_0015
Revises: incidents_0014
Create Date: 2026-12-07 05:20:00

The number-at-commit trigger (incidents_0011) skipped a row deleted before its transaction
committed and left that row's events in the outbox, their number null: subscribers, webhooks
and the problems domain's read model were told of an incident that never existed outside
that transaction (the read model's consumer failed on the null number and stopped there).
The trigger now deletes those events too (db/numbering.py).
"""

from collections.abc import Sequence

from db.numbering import replace_number_at_commit

revision: str = "incidents_0015"
down_revision: str | None = "incidents_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE, COUNTER, NUMBER = "incidents.incidents", "incidents.incident_numbers", "allocated"


def upgrade() -> None:
    replace_number_at_commit(TABLE, COUNTER, NUMBER)


def downgrade() -> None:
    replace_number_at_commit(TABLE, COUNTER, NUMBER, unborn_events=False)
