"""Alembic environment: runs migrations over the async engine, for the `MigrationSet` that
db/migrate.py puts in the config's attributes."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import async_url
from db.migrate import MigrationSet, refuse_legacy

# Replicas starting together (a rollout, the split services, the migration Job beside them)
# migrate one at a time: each waits for this lock, then finds the versions the last one left.
MIGRATION_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('opsgraph.migrations'))")


def run_with(connection: Connection) -> None:
    migration_set: MigrationSet = context.config.attributes["migration_set"]
    context.configure(connection=connection, **migration_set.context_options())
    with context.begin_transaction():
        connection.execute(MIGRATION_LOCK)
        refuse_legacy(connection)  # inside: a statement before it would leave it uncommitted
        context.run_migrations()


async def run_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "db.migrate sets sqlalchemy.url"
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


asyncio.run(run_online())
