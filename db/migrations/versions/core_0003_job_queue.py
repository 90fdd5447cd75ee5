"""the durable job queue

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-05 19:00:00

The `jobs` schema holds procrastinate's tables and functions (db/jobs.py says why that
library): `procrastinate_jobs` (one row per job: queue, task, lock, arguments, status,
attempts, when it may run next), its events, the workers' heartbeats, periodic defers.

The queue crosses tenants, as the outbox relay's positions do: one worker serves every
tenant's jobs, so its tables have no tenant_id and no wall. The tenant of a job is in its
arguments (`tenant_id`), and the runner (opsgraph/jobs/) hands the job to its handler in a
transaction as the application role with that tenant set: what a job reads and writes stays
behind the wall. The worker itself connects as the owner. The application role gets USAGE on
the schema and EXECUTE on the one function it needs, `procrastinate_defer_jobs_v1`, made
SECURITY DEFINER (it inserts as the owner), so a request or a consumer can queue a job in its
own transaction and can neither read nor change queued jobs. Trade-off: a statement run as the
application role could queue a job naming another tenant; no GraphQL field lets a client name
the tenant or the arguments of a job.

Every function gets `search_path = jobs, pg_catalog`, so it resolves its tables whatever the
caller's search path is (and a SECURITY DEFINER function must not trust the caller's). A later
procrastinate release that changes its schema needs a revision applying its migration file.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.util import await_only

from db.jobs import DEFER_FUNCTION, SCHEMA, schema_sql
from db.roles import APP_ROLE

revision: str = "core_0003"
down_revision: str | None = "core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_script(sql: str) -> None:
    """Several statements in one go, on the migration's own connection and transaction
    (asyncpg's simple query protocol; SQLAlchemy's text() would take `:name` for parameters)."""
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    await_only(driver.execute(sql))


QUALIFIED_DEFER = f"{SCHEMA}.{DEFER_FUNCTION.replace('(', f'({SCHEMA}.')}"


def upgrade() -> None:
    _run_script(
        f"""
        CREATE SCHEMA IF NOT EXISTS {SCHEMA};
        SET LOCAL search_path TO {SCHEMA}, pg_catalog;
        {schema_sql()}
        RESET search_path;
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                     WHERE p.pronamespace = '{SCHEMA}'::regnamespace LOOP
                EXECUTE format('ALTER FUNCTION %s SET search_path = {SCHEMA}, pg_catalog', f);
            END LOOP;
        END $$;
        ALTER FUNCTION {QUALIFIED_DEFER} SECURITY DEFINER;
        REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA {SCHEMA} FROM PUBLIC;
        GRANT USAGE ON SCHEMA {SCHEMA} TO {APP_ROLE};
        GRANT EXECUTE ON FUNCTION {QUALIFIED_DEFER} TO {APP_ROLE};
        """
    )


def downgrade() -> None:
    _run_script(
        f"""
        REVOKE ALL ON SCHEMA {SCHEMA} FROM {APP_ROLE};
        DROP SCHEMA {SCHEMA} CASCADE;
        """
    )
