"""cmdb: every reference to a CI, a class or a relationship type is keyed by (tenant, id)

Revision ID: cmdb_0006
Revises: cmdb_0005
Create Date: 2026-12-06 19:40:00

Deleting a CI made PostgreSQL check that no relationship still names it, once per end, with
`WHERE parent_id = $1` (and `child_id`): the relationships' indexes lead with `tenant_id`, so
each check scanned a whole index (10 ms per deleted CI at 345,000 relationships; a bench
clearing 115,000 CIs took minutes). Classes and relationship types were checked the same way
on their (rarer) deletion. The foreign keys to `configuration_items`, `ci_classes` and
`relationship_types` become (tenant_id, column) → (tenant_id, id), each with an index leading
with those two columns, which PostgreSQL checks through. A relationship, a CI, an attribute or
a rule can no longer name another tenant's CI, class or type, whoever writes it. (A CI's
history, `ci_changes.ci_id`, stays keyed by id: its index leads with it.) Every foreign key of
the schema now leads an index (tests/db/test_foreign_keys.py keeps it so).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cmdb_0006"
down_revision: str | None = "cmdb_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERRED = ("configuration_items", "ci_classes", "relationship_types")
# (table, column, referred table, on delete, the index it needs; None: one exists already)
KEYS = (
    ("ci_relationships", "parent_id", "configuration_items", "RESTRICT", None),
    ("ci_relationships", "child_id", "configuration_items", "RESTRICT", None),
    ("ci_classes", "parent_id", "ci_classes", "RESTRICT", None),
    ("ci_attributes", "class_id", "ci_classes", "CASCADE", "ix_ci_attributes_class"),
    (
        "ci_attributes",
        "reference_class_id",
        "ci_classes",
        "RESTRICT",
        "ix_ci_attributes_reference_class",
    ),
    ("configuration_items", "class_id", "ci_classes", "RESTRICT", None),
    (
        "relationship_rules",
        "parent_class_id",
        "ci_classes",
        "CASCADE",
        "ix_relationship_rules_parent_class",
    ),
    (
        "relationship_rules",
        "child_class_id",
        "ci_classes",
        "CASCADE",
        "ix_relationship_rules_child_class",
    ),
    (
        "relationship_rules",
        "type_id",
        "relationship_types",
        "CASCADE",
        "ix_relationship_rules_type",
    ),
    ("ci_relationships", "type_id", "relationship_types", "RESTRICT", "ix_ci_relationships_type"),
)


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for referred in REFERRED:
        op.create_unique_constraint(
            f"uq_{referred}_tenant_id_id", referred, ["tenant_id", "id"], schema="cmdb"
        )
    for table, column, referred, ondelete, index in KEYS:
        if index is not None:
            op.create_index(index, table, ["tenant_id", column], schema="cmdb")
        op.drop_constraint(_name(table, column, referred), table, schema="cmdb")
        op.create_foreign_key(
            _name(table, column, referred),
            table,
            referred,
            ["tenant_id", column],
            ["tenant_id", "id"],
            source_schema="cmdb",
            referent_schema="cmdb",
            ondelete=ondelete,
        )


def downgrade() -> None:
    for table, column, referred, ondelete, index in KEYS:
        op.drop_constraint(_name(table, column, referred), table, schema="cmdb")
        op.create_foreign_key(
            _name(table, column, referred),
            table,
            referred,
            [column],
            ["id"],
            source_schema="cmdb",
            referent_schema="cmdb",
            ondelete=ondelete,
        )
        if index is not None:
            op.drop_index(index, table_name=table, schema="cmdb")
    for referred in REFERRED:
        op.drop_constraint(f"uq_{referred}_tenant_id_id", referred, schema="cmdb")
