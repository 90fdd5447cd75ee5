"""tenant walls: row-level security on every tenant table, and the application role

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00

Every table with a `tenant_id` gets ENABLE + FORCE ROW LEVEL SECURITY and one policy,
`tenant_wall`, for every command and every role:

    USING / WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)

`db.scope.RequestDatabase` sets `app.tenant_id` transaction-locally as the first statement of
each transaction. The NULLIF matters: once a transaction-local setting has been used on a
pooled connection, PostgreSQL reports it as '' (not NULL) in later transactions, and
`''::uuid` would raise instead of matching nothing. With no tenant set, the wall therefore
hides every row and refuses every insert.

Requests connect as `opsgraph_app`: LOGIN, not the owner of anything, not superuser, not
BYPASSRLS (the migration refuses to go on if a pre-existing role of that name is either).
It is created here when missing (roles are cluster-wide, so several databases share it;
an operator whose migration role lacks CREATEROLE can create it beforehand). It gets USAGE
on the domain schemas and SELECT/INSERT/UPDATE/DELETE on the walled domain tables.
Migrations, the outbox relay, the demo seed and the benchmark loader run as the owner, who
is expected to bypass RLS (superuser, or BYPASSRLS): FORCE makes a non-bypassing owner subject
to the wall as well, and those cross-tenant jobs would then see nothing.

Special cases:

- `identity.tenants` (the tenant directory, no tenant_id): no wall; the app role may only
  SELECT it. A request resolves its tenant from the `X-OpsGraph-Tenant` slug before any tenant
  is set, so the lookup must work with no tenant. Trade-off: a query as the app role can list
  every tenant's id, slug and name. These are the public routing keys of the API (clients send
  them in a header) and no GraphQL field reads the table; creating, renaming and deleting
  tenants stays with the owner. Walling it (a policy on `id`) plus a SECURITY DEFINER lookup
  function is the stricter alternative, worth it once tokens carry the tenant.
- `events.outbox`: walled; the app role may INSERT (a mutation records its event under its own
  tenant) and SELECT only the columns the ORM reads back after the insert (`RETURNING id,
  created_at, updated_at`), not the payloads. The relay reads every tenant's events, so it keeps
  using the owner connection. The identity column needs no sequence grant for INSERT.
- `incidents.incident_numbers` (the per-tenant counter): walled like any other table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "opsgraph_app"  # db.roles.APP_ROLE; spelled out here so this revision never changes
SCHEMAS = ("identity", "incidents", "events")
# Tables with tenant_id the app role reads and writes under the wall.
DOMAIN_TABLES = (
    "identity.users",
    "identity.teams",
    "identity.team_members",
    "incidents.incidents",
    "incidents.incident_comments",
    "incidents.incident_changes",
    "incidents.incident_numbers",
)
OUTBOX = "events.outbox"
WALLED_TABLES = (*DOMAIN_TABLES, OUTBOX)
OUTBOX_READ_BACK = "id, created_at, updated_at"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.execute(
        f"""
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
    )
    for table in WALLED_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_wall ON {table} "
            f"USING (tenant_id = {TENANT}) WITH CHECK (tenant_id = {TENANT})"
        )
    op.execute(f"GRANT USAGE ON SCHEMA {', '.join(SCHEMAS)} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(DOMAIN_TABLES)} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON identity.tenants TO {APP_ROLE}")
    op.execute(f"GRANT INSERT, SELECT ({OUTBOX_READ_BACK}) ON {OUTBOX} TO {APP_ROLE}")


def downgrade() -> None:
    for table in WALLED_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_wall ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    # Revoking a table's privileges revokes its column privileges too (the outbox's SELECT).
    op.execute(f"REVOKE ALL ON {', '.join((*WALLED_TABLES, 'identity.tenants'))} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA {', '.join(SCHEMAS)} FROM {APP_ROLE}")
    # The role is cluster-wide: other databases migrated to 0002 still grant it privileges
    # (pg_shdepend records those, and anything it owns). Drop it only when nothing is left.
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
