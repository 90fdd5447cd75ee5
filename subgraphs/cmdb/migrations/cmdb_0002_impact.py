"""cmdb: each relationship's orientation (provider, dependent) and the indexes impact reads

Revision ID: cmdb_0002
Revises: cmdb_0001
Create Date: 2026-12-05 14:00:00

`provider_id` and `dependent_id` say which end of a relationship depends on the other, from
its type's `dependent_side` (Runs on: the parent depends on the child; Member of: the child,
a cluster, depends on its members). A trigger sets them on every insert and on any change of
the ends or the type, whoever writes (the API, a discovery feed, a bulk COPY), so impact
analysis walks one index per direction, covering everything a hop needs, whatever the type.
Two small partial indexes find the redundant and the retired CIs among those it reaches.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cmdb_0002"
down_revision: str | None = "cmdb_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIENT = """
CREATE FUNCTION cmdb.orient_relationship() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT CASE t.dependent_side WHEN 'PARENT' THEN NEW.child_id ELSE NEW.parent_id END,
           CASE t.dependent_side WHEN 'PARENT' THEN NEW.parent_id ELSE NEW.child_id END
      INTO NEW.provider_id, NEW.dependent_id
      FROM cmdb.relationship_types t WHERE t.id = NEW.type_id;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column("ci_relationships", sa.Column("provider_id", sa.UUID()), schema="cmdb")
    op.add_column("ci_relationships", sa.Column("dependent_id", sa.UUID()), schema="cmdb")
    op.execute(ORIENT)
    op.execute(
        "CREATE TRIGGER orient BEFORE INSERT OR UPDATE OF parent_id, child_id, type_id "
        "ON cmdb.ci_relationships FOR EACH ROW EXECUTE FUNCTION cmdb.orient_relationship()"
    )
    op.execute("UPDATE cmdb.ci_relationships SET type_id = type_id")  # rows already there
    op.alter_column("ci_relationships", "provider_id", nullable=False, schema="cmdb")
    op.alter_column("ci_relationships", "dependent_id", nullable=False, schema="cmdb")
    op.create_index(
        "ix_ci_relationships_provider",
        "ci_relationships",
        ["tenant_id", "provider_id"],
        schema="cmdb",
        postgresql_include=["dependent_id", "type_id", "id"],
    )
    op.create_index(
        "ix_ci_relationships_dependent",
        "ci_relationships",
        ["tenant_id", "dependent_id"],
        schema="cmdb",
        postgresql_include=["provider_id", "type_id", "id"],
    )
    op.create_index(
        "ix_configuration_items_redundant",
        "configuration_items",
        ["tenant_id", "id"],
        schema="cmdb",
        postgresql_include=["redundancy_required"],
        postgresql_where=sa.text("redundancy_required IS NOT NULL"),
    )
    op.create_index(
        "ix_configuration_items_retired",
        "configuration_items",
        ["tenant_id", "id"],
        schema="cmdb",
        postgresql_where=sa.text("status = 'RETIRED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_configuration_items_retired", "configuration_items", schema="cmdb")
    op.drop_index("ix_configuration_items_redundant", "configuration_items", schema="cmdb")
    op.drop_index("ix_ci_relationships_dependent", "ci_relationships", schema="cmdb")
    op.drop_index("ix_ci_relationships_provider", "ci_relationships", schema="cmdb")
    op.execute("DROP TRIGGER orient ON cmdb.ci_relationships")
    op.execute("DROP FUNCTION cmdb.orient_relationship()")
    op.drop_column("ci_relationships", "dependent_id", schema="cmdb")
    op.drop_column("ci_relationships", "provider_id", schema="cmdb")
