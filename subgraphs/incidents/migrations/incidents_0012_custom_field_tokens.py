"""incidents: a custom field filter finds its incidents through an index, behind the wall

Revision ID: incidents_0012
Revises: incidents_0011
Create Date: 2026-12-06 21:00:00

`incidents(filter: {customFields: [{name: "region", eq: "emea"}]})` read all of the
tenant's incidents: containment cannot use the GIN index on `custom_fields` for the
application role. `incident_field_tokens` holds each incident's scalar values as tokens,
kept by triggers, which an `eq` or `in` looks incidents up by first (db/value_tokens.py).
"""

from collections.abc import Sequence

from db.value_tokens import ValueTokens

revision: str = "incidents_0012"
down_revision: str | None = "incidents_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = ValueTokens(
    "incidents", "incidents", "custom_fields", "incident_field_tokens", "incident_id"
)


def upgrade() -> None:
    TOKENS.create()


def downgrade() -> None:
    TOKENS.drop()
