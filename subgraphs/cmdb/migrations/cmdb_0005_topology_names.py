"""cmdb: renamed CIs and CIs of another class are graph changes too

Revision ID: cmdb_0005
Revises: cmdb_0004
Create Date: 2026-12-06 19:00:00

The processes' in-memory graphs (subgraphs/cmdb/topology.py) now hold each CI's name and
class beside its place in the graph: an impact graph that shows its CIs by name and class
(the usual view of a blast radius) is answered without reading thousands of CI rows again.
So an UPDATE that changes a CI's `name` or `class_id` is logged in `topology_changes`, as
retiring it is; other columns still log nothing. Only the UPDATE branch of
`cmdb.log_ci_changes()` (cmdb_0004) changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cmdb_0005"
down_revision: str | None = "cmdb_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOG = """
CREATE OR REPLACE FUNCTION cmdb.log_ci_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tenants uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO cmdb.topology_changes (tenant_id, ci_id)
        SELECT o.tenant_id, o.id FROM old_rows o;
        tenants := ARRAY(SELECT DISTINCT o.tenant_id FROM old_rows o);
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO cmdb.topology_changes (tenant_id, ci_id)
        SELECT n.tenant_id, n.id FROM new_rows n;
        tenants := ARRAY(SELECT DISTINCT n.tenant_id FROM new_rows n);
    ELSE
        INSERT INTO cmdb.topology_changes (tenant_id, ci_id)
        SELECT n.tenant_id, n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE ({new}) IS DISTINCT FROM ({old});
        IF FOUND THEN
            tenants := ARRAY(SELECT DISTINCT n.tenant_id FROM new_rows n);
        END IF;
    END IF;
    IF cardinality(tenants) > 0 THEN
        PERFORM cmdb.prune_topology_changes(tenants);
    END IF;
    RETURN NULL;
END
$$
"""

BEFORE = ("{t}.status = 'RETIRED'", "{t}.redundancy_required")
AFTER = (*BEFORE, "{t}.name", "{t}.class_id")


def _log(part: tuple[str, ...]) -> str:
    return LOG.format(
        new=", ".join(p.format(t="n") for p in part),
        old=", ".join(p.format(t="o") for p in part),
    )


def upgrade() -> None:
    op.execute(_log(AFTER))


def downgrade() -> None:
    op.execute(_log(BEFORE))
