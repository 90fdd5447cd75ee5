"""cmdb: a relationship's ends are keyed by (tenant, CI)

Revision ID: cmdb_0006
Revises: cmdb_0005
Create Date: 2026-12-06 19:10:00

Deleting a CI made PostgreSQL check that no relationship still names it, once per end, with
`WHERE parent_id = $1` (and `child_id`): the relationships' indexes lead with `tenant_id`, so
each check scanned a whole index (10 ms per deleted CI at 345,000 relationships; a feed or a
bench clearing thousands of CIs, minutes). The foreign keys are now (tenant_id, parent_id)
and (tenant_id, child_id) to (tenant_id, id), which those indexes answer. They also wall the
ends in the database itself: a relationship can no longer name another tenant's CI, whoever
writes it. (tenant_id, id) is unique, as `id` alone is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cmdb_0006"
down_revision: str | None = "cmdb_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ci_relationships"
ENDS = ("parent", "child")


def upgrade() -> None:
    op.create_unique_constraint(
        "uq_configuration_items_tenant_id_id",
        "configuration_items",
        ["tenant_id", "id"],
        schema="cmdb",
    )
    for end in ENDS:
        op.drop_constraint(
            f"fk_ci_relationships_{end}_id_configuration_items", TABLE, schema="cmdb"
        )
        op.create_foreign_key(
            f"fk_ci_relationships_{end}_configuration_items",
            TABLE,
            "configuration_items",
            ["tenant_id", f"{end}_id"],
            ["tenant_id", "id"],
            source_schema="cmdb",
            referent_schema="cmdb",
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    for end in ENDS:
        op.drop_constraint(f"fk_ci_relationships_{end}_configuration_items", TABLE, schema="cmdb")
        op.create_foreign_key(
            f"fk_ci_relationships_{end}_id_configuration_items",
            TABLE,
            "configuration_items",
            [f"{end}_id"],
            ["id"],
            source_schema="cmdb",
            referent_schema="cmdb",
            ondelete="RESTRICT",
        )
    op.drop_constraint("uq_configuration_items_tenant_id_id", "configuration_items", schema="cmdb")
