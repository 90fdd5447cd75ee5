"""cmdb: attribute filters and name searches find their CIs through an index, behind the
tenant wall

Revision ID: cmdb_0007
Revises: cmdb_0006
Create Date: 2026-12-06 21:30:00

`configurationItems(filter: {attributes: [{name: "os", eq: "linux"}]})` read all of the
tenant's CIs: containment cannot use the GIN index on `attributes` for the application role.
`ci_attribute_tokens` holds each CI's scalar attributes as tokens, kept by triggers, which
an `eq` or `in` looks CIs up by first (db/value_tokens.py explains it all); a name search
(`filter: {search: "core"}`, `@@`, 15 ms at 115,000 CIs) likewise, by `ci_search_tokens`,
its names' lexemes. The GIN indexes on `attributes` and `search` go: nothing could use them.
"""

from collections.abc import Sequence

from db.value_tokens import ValueTokens, create, drop, search_tokens

revision: str = "cmdb_0007"
down_revision: str | None = "cmdb_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = (
    ValueTokens(
        "cmdb",
        "configuration_items",
        "attributes",
        "ci_attribute_tokens",
        gin=("ix_configuration_items_attributes", "jsonb_path_ops"),
    ),
    search_tokens("cmdb", "configuration_items", "ci_search_tokens"),
)


def upgrade() -> None:
    create(*TOKENS)


def downgrade() -> None:
    drop(*TOKENS)
