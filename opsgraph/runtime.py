"""The process's shared resources: the database (embedded or configured), migrated before
serving, its engines and session factories, and the tenant directory.

Two database roles (see db/roles.py): requests use `engine`/`sessions`, connected as the
application role that row-level security walls in, with the configured pool bounds;
`owner_engine`/`owner_sessions` (a small pool, as the migrating owner) serve what crosses
tenants: the outbox relay and the readiness check's schema revision.

`prepare()` is synchronous (starting PostgreSQL and running Alembic must not happen inside
the server's event loop); `open()`/`close()` manage the async engines. After migrating,
`prepare()` also creates the audit log's partitions for this month and the next (as the owner,
see db/audit_partitions.py); each start tops them up.

`custom_roles` caches the tenants' own roles for the authenticator (see
opsgraph/auth/custom_roles.py), `active_users` whether tokens' users may still act (see
opsgraph/auth/active_users.py)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.audit_partitions import ensure_partitions
from db.embedded import EmbeddedPostgres, start_embedded
from db.engine import create_engine, session_factory
from db.parking import park_connections, release_parked
from db.roles import app_database_url
from db.scope import RequestDatabase
from db.tenants import find_tenant_id
from opsgraph.auth.active_users import ActiveUserCache, UserState, load_user_state
from opsgraph.auth.custom_roles import CustomRoleCache
from opsgraph.domains import REGISTRY, Registry
from opsgraph.settings import Settings
from resolvers.principal import CustomRoles

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    registry: Registry = REGISTRY
    database_url: str = ""  # the owner's
    app_database_url: str = ""
    embedded: EmbeddedPostgres | None = None
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    owner_engine: AsyncEngine | None = None
    owner_sessions: async_sessionmaker[AsyncSession] | None = None
    _tenant_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    custom_roles: CustomRoleCache = field(init=False)
    active_users: ActiveUserCache = field(init=False)

    def __post_init__(self) -> None:
        self.custom_roles = CustomRoleCache(
            self._load_custom_roles, role_entity=self.registry.directory.role_entity
        )
        self.active_users = ActiveUserCache(
            self._load_user_state,
            user_entity=self.registry.directory.user_entity,
            ttl_seconds=self.settings.active_user_cache_seconds,
        )

    def prepare(self, *, migrate_schema: bool = True) -> None:
        """Start the embedded PostgreSQL when no DATABASE_URL is set, then migrate every
        registered domain to its head (as the owner; the core branch creates the application
        role)."""
        if self.settings.database_url:
            self.database_url = self.settings.database_url
        else:
            self.embedded, self.database_url = start_embedded(
                self.settings.data_dir, wal_archive=self.settings.wal_archive_dir
            )
            if self.embedded.started:
                log.info("embedded PostgreSQL ready (data in %s)", self.embedded.pgdata)
        if migrate_schema:
            self.registry.migrations.upgrade(self.database_url)
            asyncio.run(self._prepare_audit_partitions())
        self.app_database_url = self.settings.database_app_url or app_database_url(
            self.database_url
        )

    async def _prepare_audit_partitions(self) -> None:
        engine = create_engine(self.database_url, pool_size=1, max_overflow=0)
        try:
            created = await ensure_partitions(engine)
        finally:
            await engine.dispose()
        if created:
            log.info("audit log partitions created: %s", ", ".join(created))

    async def _load_custom_roles(self, tenant_id: uuid.UUID) -> CustomRoles:
        """The tenant's own roles, read as the application role behind the tenant's wall."""
        assert self.sessions is not None, "runtime not opened"
        db = RequestDatabase(self.sessions, tenant_id)
        try:
            return await self.registry.directory.custom_roles(db)
        finally:
            await db.close()

    async def _load_user_state(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserState:
        assert self.sessions is not None, "runtime not opened"
        return await load_user_state(self.registry.directory, self.sessions, tenant_id, user_id)

    def open(self) -> None:
        self.engine = create_engine(
            self.app_database_url,
            pool_size=self.settings.db_pool_size,
            max_overflow=self.settings.db_max_overflow,
            statement_timeout_ms=self.settings.db_statement_timeout_ms,
            prepared_statements=self.settings.db_prepared_statements,
        )
        # Requests hand their connections on (db/parking.py); jobs and consumers use the
        # owner engine, which does not.
        park_connections(self.engine)
        self.sessions = session_factory(self.engine)
        # Each event consumer's round and the relay's hold an owner connection at once, as
        # an event wakes them all: a smaller pool opened and closed a connection (a new
        # server backend) per event, 1.3 per create + assign in the write benchmark.
        owners = len(self.registry.consumers()) + 2
        self.owner_engine = create_engine(self.database_url, pool_size=owners, max_overflow=2)
        self.owner_sessions = session_factory(self.owner_engine)

    async def close(self) -> None:
        if self.engine is not None:
            await release_parked(self.engine)
        for engine in (self.engine, self.owner_engine):
            if engine is not None:
                await engine.dispose()
        self.engine = self.owner_engine = None

    def shutdown(self) -> None:
        """Stop the embedded PostgreSQL if this process started it."""
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None

    async def check_ready(self) -> None:
        """Raise unless both roles can connect and the schema is at the migrations' head."""
        assert self.engine is not None and self.owner_engine is not None, "runtime not opened"
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        migrations = self.registry.migrations
        current = await migrations.current_revisions(self.owner_engine)
        if current != migrations.head_revisions:
            raise RuntimeError(
                f"database at revisions {sorted(current)}, "
                f"expected {sorted(migrations.head_revisions)}"
            )

    async def tenant_id(self, reference: str) -> uuid.UUID | None:
        """Resolve a tenant slug or id; found tenants are cached (they are never renamed).

        Runs as the application role before any tenant is set: it may read the tenant
        directory (the core migration leaves `tenancy.tenants` unwalled, SELECT only)."""
        cached = self._tenant_ids.get(reference)
        if cached is not None:
            return cached
        assert self.sessions is not None, "runtime not opened"
        async with self.sessions() as session:
            found = await find_tenant_id(session, reference)
        if found is not None:
            self._tenant_ids[reference] = found
        return found
