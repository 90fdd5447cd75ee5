"""incidents: custom field ranges find their incidents through an index, behind the wall

Revision ID: incidents_0014
Revises: incidents_0013
Create Date: 2026-12-06 23:50:00

`incidents(filter: {customFields: [{name: "score", gt: 5}]})` read all of the tenant's
incidents: numeric comparisons are not leakproof. `incident_field_numbers` holds each
incident's custom field values that are numbers as float8 (whose comparisons are), kept by
triggers, which a range on numbers looks incidents up by first (db/value_tokens.py
`NumberTokens`).
"""

from collections.abc import Sequence

from db.value_tokens import NumberTokens, create, drop

revision: str = "incidents_0014"
down_revision: str | None = "incidents_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = NumberTokens("incidents", "incidents", "custom_fields", "incident_field_numbers")


def upgrade() -> None:
    create(NUMBERS)


def downgrade() -> None:
    drop(NUMBERS)
