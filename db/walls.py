"""The tenant wall, applied by migrations: one helper for every walled table of every domain.

A walled table gets ENABLE + FORCE ROW LEVEL SECURITY and one policy, `tenant_wall`, for every
command and every role:

    USING / WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)

`db.scope.RequestDatabase` sets `app.tenant_id` transaction-locally as the first statement of
each transaction. The NULLIF matters: once a transaction-local setting has been used on a
pooled connection, PostgreSQL reports it as '' (not NULL) in later transactions, and
`''::uuid` would raise instead of matching nothing. With no tenant set, the wall therefore
hides every row and refuses every insert.

Requests connect as `opsgraph_app` (db/roles.py): LOGIN, not the owner of anything, not
superuser, not BYPASSRLS (`ensure_app_role` refuses to go on if a pre-existing role of that
name is either). It is created when missing (roles are cluster-wide, so several databases share
it; an operator whose migration role lacks CREATEROLE can create it beforehand). It gets USAGE
on each schema a migration opens to it and the privileges `wall` grants on each table.
Migrations, the outbox relay, the demo seed and the benchmark loader run as the owner, who is
expected to bypass RLS (superuser, or BYPASSRLS): FORCE makes a non-bypassing owner subject to
the wall as well, and those cross-tenant jobs would then see nothing.

Revisions call these helpers rather than spelling the SQL out, so every wall is the same."""

from __future__ import annotations

from alembic import op

from db.roles import APP_ROLE

TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"


ENSURE_APP_ROLE = f"""
DO $$
DECLARE
    existing pg_roles%ROWTYPE;
BEGIN
    SELECT * INTO existing FROM pg_roles WHERE rolname = '{APP_ROLE}';
    IF NOT FOUND THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    ELSIF existing.rolsuper OR existing.rolbypassrls THEN
        RAISE EXCEPTION 'role {APP_ROLE} exists and bypasses row-level security';
    END IF;
END $$
"""
"""Create the application role when missing; refuse one that bypasses the walls (also run
before a backup is restored: the role is the cluster's, and the dump's grants name it)."""


def ensure_app_role() -> None:
    op.execute(ENSURE_APP_ROLE)


def drop_app_role_if_unused() -> None:
    """Drop the application role unless something still depends on it: the role is
    cluster-wide, and other databases migrated by OpsGraph still grant it privileges
    (pg_shdepend records those, and anything it owns)."""
    op.execute(
        f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}')
               AND NOT EXISTS (
                   SELECT FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
                   WHERE r.rolname = '{APP_ROLE}'
               )
            THEN
                DROP ROLE {APP_ROLE};
            END IF;
        END $$
        """
    )


def open_schema(schema: str) -> None:
    """Create the schema (when missing) and let the application role use it."""
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {APP_ROLE}")


def drop_schema(schema: str) -> None:
    op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {APP_ROLE}")
    op.execute(f"DROP SCHEMA IF EXISTS {schema}")


def wall(table: str, privileges: str = READ_WRITE) -> None:
    """Put `table` (schema-qualified, with a `tenant_id` column) behind the tenant wall and
    grant the application role `privileges` on it (column lists allowed, e.g.
    "INSERT, SELECT (id, created_at)")."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON {table} "
        f"USING (tenant_id = {TENANT}) WITH CHECK (tenant_id = {TENANT})"
    )
    grant(table, privileges)


def grant(table: str, privileges: str) -> None:
    op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")


def unwall(table: str) -> None:
    """Undo `wall` (and every grant on the table; revoking a table's privileges revokes its
    column privileges too)."""
    op.execute(f"DROP POLICY IF EXISTS tenant_wall ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
