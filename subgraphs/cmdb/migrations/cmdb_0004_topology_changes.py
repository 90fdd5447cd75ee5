"""cmdb: the log of changes to the dependency graph, for the processes' in-memory copies

Revision ID: cmdb_0004
Revises: cmdb_0003
Create Date: 2026-12-06 12:00:00

Each process keeps its tenants' dependency graphs in memory (subgraphs/cmdb/topology.py),
each known as of a PostgreSQL snapshot. `topology_changes` tells it what changed since: one
row per relationship or CI whose part in the graph changed, with the id of the transaction
that changed it (`xid`), so that a reader keeps the rows not visible in its snapshot
(`pg_visible_in_snapshot`), then reads those relationships' and CIs' current state.

Triggers log, whoever writes (the API, a discovery feed, a bulk COPY): relationships
inserted, deleted, or updated in their ends or type; CIs inserted, deleted, retired or put
back in service, or given another `redundancy_required`. They are statement-level with
transition tables, so a feed writing a thousand rows logs them with one INSERT ... SELECT;
an UPDATE trigger cannot name columns when it has transition tables, so the UPDATE ones
compare old and new rows and log only those whose graph part changed (a renamed CI logs
nothing).

The same triggers prune: rows older than an hour (`RETENTION`) that come first in `xid`
order, found by the `(tenant_id, xid)` index the readers use, so a write that finds none
old reads one index entry. Rows another transaction is pruning are skipped, never waited
for. A process whose graph is older than half the retention loads it afresh instead of
reading changes. `id` exists to be a primary key (every mapped table has one).

Walled like every table (db/walls.py): a request's writes log as its tenant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall
from subgraphs.cmdb.tables import Xid8

revision: str = "cmdb_0004"
down_revision: str | None = "cmdb_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "cmdb.topology_changes"
RETENTION = "1 hour"

PRUNE = f"""
CREATE FUNCTION cmdb.prune_topology_changes(tenants uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tenant uuid;
BEGIN
    FOREACH tenant IN ARRAY tenants LOOP
        DELETE FROM cmdb.topology_changes WHERE id IN (
            SELECT c.id FROM cmdb.topology_changes c
            WHERE c.tenant_id = tenant AND c.xid < (
                SELECT r.xid FROM cmdb.topology_changes r
                WHERE r.tenant_id = tenant AND r.at >= now() - interval '{RETENTION}'
                ORDER BY r.xid LIMIT 1
            )
            FOR UPDATE SKIP LOCKED
        );
    END LOOP;
END
$$
"""

# One function per table for its three triggers (TG_OP says which transition tables
# exist): `{column}` names the row logged, `{part}` the columns that place it in the graph.
LOG = """
CREATE FUNCTION cmdb.{function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tenants uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO cmdb.topology_changes (tenant_id, {column})
        SELECT o.tenant_id, o.id FROM old_rows o;
        tenants := ARRAY(SELECT DISTINCT o.tenant_id FROM old_rows o);
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO cmdb.topology_changes (tenant_id, {column})
        SELECT n.tenant_id, n.id FROM new_rows n;
        tenants := ARRAY(SELECT DISTINCT n.tenant_id FROM new_rows n);
    ELSE
        INSERT INTO cmdb.topology_changes (tenant_id, {column})
        SELECT n.tenant_id, n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE ({new_part}) IS DISTINCT FROM ({old_part});
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

LOGGED = {
    # table: (function, column logged, what places a row in the graph)
    "ci_relationships": (
        "log_relationship_changes",
        "relationship_id",
        ("{t}.provider_id", "{t}.dependent_id", "{t}.type_id"),
    ),
    "configuration_items": (
        "log_ci_changes",
        "ci_id",
        ("{t}.status = 'RETIRED'", "{t}.redundancy_required"),
    ),
}


def upgrade() -> None:
    op.create_table(
        "topology_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("xid", Xid8(), server_default=sa.text("pg_current_xact_id()"), nullable=False),
        sa.Column("relationship_id", sa.UUID(), nullable=True),
        sa.Column("ci_id", sa.UUID(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_changes")),
        schema="cmdb",
    )
    op.create_index(
        "ix_topology_changes_xid", "topology_changes", ["tenant_id", "xid"], schema="cmdb"
    )
    wall(TABLE)
    op.execute(PRUNE)
    for table, (function, column, part) in LOGGED.items():
        op.execute(
            LOG.format(
                function=function,
                column=column,
                new_part=", ".join(p.format(t="n") for p in part),
                old_part=", ".join(p.format(t="o") for p in part),
            )
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER log_topology_{event.lower()} AFTER {event} ON cmdb.{table} "
                f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION cmdb.{function}()"
            )


def downgrade() -> None:
    for table, (function, _, _) in LOGGED.items():
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER log_topology_{event} ON cmdb.{table}")
        op.execute(f"DROP FUNCTION cmdb.{function}()")
    op.execute("DROP FUNCTION cmdb.prune_topology_changes(uuid[])")
    unwall(TABLE)
    op.drop_index("ix_topology_changes_xid", table_name="topology_changes", schema="cmdb")
    op.drop_table("topology_changes", schema="cmdb")
