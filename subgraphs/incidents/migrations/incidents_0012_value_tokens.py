"""incidents: custom field, tag and search filters find their incidents through an index,
behind the tenant wall

Revision ID: incidents_0012
Revises: incidents_0011
Create Date: 2026-12-06 21:00:00

`incidents(filter: {customFields: [{name: "region", eq: "emea"}]})`,
`incidents(filter: {tags: {any: ["network"]}})` and `incidents(filter: {search: "vpn"})`
read all of the tenant's incidents: containment, overlap and `@@` cannot use the GIN indexes
on `custom_fields`, `tags` and `search` for the application role. `incident_field_tokens`
holds each incident's scalar custom field values as tokens, `incident_tag_tokens` its tags,
`incident_search_tokens` its search lexemes, all kept by triggers, which the filters look
incidents up by first (db/value_tokens.py). The three GIN indexes go: nothing could use
them.
"""

from collections.abc import Sequence

from db.value_tokens import ValueTokens, create, drop, search_tokens

revision: str = "incidents_0012"
down_revision: str | None = "incidents_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = (
    ValueTokens(
        "incidents",
        "incidents",
        "custom_fields",
        "incident_field_tokens",
        gin=("ix_incidents_custom_fields", "jsonb_path_ops"),
    ),
    ValueTokens(
        "incidents",
        "incidents",
        "tags",
        "incident_tag_tokens",
        gin=("ix_incidents_tags", None),
        elements="r.tags",
    ),
    search_tokens("incidents", "incidents", "incident_search_tokens"),
)


def upgrade() -> None:
    create(*TOKENS)


def downgrade() -> None:
    drop(*TOKENS)
