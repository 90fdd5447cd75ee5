"""cmdb: filters by status, environment and source find their CIs through an index

Revision ID: cmdb_0008
Revises: cmdb_0007
Create Date: 2026-12-06 23:30:00

`configurationItems(filter: {status: [MAINTENANCE]})` (a NOC's "what is in maintenance"),
`environment: [TEST]` and `source: "..."` read all of the tenant's CIs (7-10 ms at 115,000
for a value few or none hold, page and count alike): only RETIRED had an index (a partial
one, for the topology), and the source's is partial (CIs with an external id).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cmdb_0008"
down_revision: str | None = "cmdb_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_configuration_items_status": ["tenant_id", "status"],
    "ix_configuration_items_environment": ["tenant_id", "environment"],
    "ix_configuration_items_source": ["tenant_id", "source"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "configuration_items", columns, schema="cmdb")


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="configuration_items", schema="cmdb")
