"""incidents: numbers handed out at commit

Revision ID: incidents_0011
Revises: incidents_0010
Create Date: 2026-12-06 15:00:00

An incident is inserted without a number and numbered by a deferred trigger as its
transaction commits (db/numbering.py): the tenant's counter row is locked for the commit
alone, where the insert used to lock it until the unit of work's COMMIT came back from the
application (issue 17: concurrent creates of a tenant queued on it). `number` is null only
inside the inserting transaction.
"""

from collections.abc import Sequence

from db.numbering import create_number_at_commit, drop_number_at_commit

revision: str = "incidents_0011"
down_revision: str | None = "incidents_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("core_0005",)

TABLE = "incidents.incidents"


def upgrade() -> None:
    create_number_at_commit(
        TABLE, "incidents.incident_numbers", event_number="allocated", unborn_events=False
    )


def downgrade() -> None:
    drop_number_at_commit(TABLE)
