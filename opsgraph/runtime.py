"""The process's shared resources: the database (embedded or configured), migrated before
serving, its engine and session factory, and the tenant directory.

`prepare()` is synchronous (starting PostgreSQL and running Alembic must not happen inside
the server's event loop); `open()`/`close()` manage the async engine."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db import migrate
from db.embedded import EmbeddedPostgres, start_embedded
from db.engine import create_engine, session_factory
from db.tenants import find_tenant_id
from opsgraph.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database_url: str = ""
    embedded: EmbeddedPostgres | None = None
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    _tenant_ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def prepare(self, *, migrate_schema: bool = True) -> None:
        """Start the embedded PostgreSQL when no DATABASE_URL is set, then migrate to head."""
        if self.settings.database_url:
            self.database_url = self.settings.database_url
        else:
            self.embedded, self.database_url = start_embedded(self.settings.data_dir)
            log.info("embedded PostgreSQL ready (data in %s)", self.embedded.pgdata)
        if migrate_schema:
            migrate.upgrade(self.database_url)

    def open(self) -> None:
        self.engine = create_engine(
            self.database_url,
            pool_size=self.settings.db_pool_size,
            max_overflow=self.settings.db_max_overflow,
            statement_timeout_ms=self.settings.db_statement_timeout_ms,
        )
        self.sessions = session_factory(self.engine)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None

    def shutdown(self) -> None:
        """Stop the embedded PostgreSQL if this process started it."""
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None

    async def check_ready(self) -> None:
        """Raise unless the database answers and its schema is at the migrations' head."""
        assert self.engine is not None, "runtime not opened"
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current = await migrate.current_revision(self.engine)
        if current != migrate.head_revision():
            raise RuntimeError(
                f"database at revision {current}, expected {migrate.head_revision()}"
            )

    async def tenant_id(self, reference: str) -> uuid.UUID | None:
        """Resolve a tenant slug or id; found tenants are cached (they are never renamed)."""
        cached = self._tenant_ids.get(reference)
        if cached is not None:
            return cached
        assert self.sessions is not None, "runtime not opened"
        async with self.sessions() as session:
            found = await find_tenant_id(session, reference)
        if found is not None:
            self._tenant_ids[reference] = found
        return found
