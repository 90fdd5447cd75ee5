"""cmdb: attribute ranges find their CIs through an index, behind the tenant wall

Revision ID: cmdb_0009
Revises: cmdb_0008
Create Date: 2026-12-06 23:50:00

`configurationItems(filter: {attributes: [{name: "cpuCount", gte: 8}]})` read all of the
tenant's CIs: numeric comparisons are not leakproof. `ci_attribute_numbers` holds each CI's
attributes that are numbers as float8 (whose comparisons are), kept by triggers, which a
range on numbers looks CIs up by first (db/value_tokens.py `NumberTokens`).
"""

from collections.abc import Sequence

from db.value_tokens import NumberTokens, create, drop

revision: str = "cmdb_0009"
down_revision: str | None = "cmdb_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = NumberTokens("cmdb", "configuration_items", "attributes", "ci_attribute_numbers")


def upgrade() -> None:
    create(NUMBERS)


def downgrade() -> None:
    drop(NUMBERS)
