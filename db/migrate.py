"""Running Alembic from code (the CLI, the server start-up and the tests all come here).

One migration history with a branch per owner: `core` (db/migrations/versions: the shared
tables) and one per domain, in the domain's package, each depending on `core`. What to migrate
is handed in as a `MigrationSet` (the registry builds it from the domains it lists), so this
module knows no domain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.base import Base
from db.tables import attachments, audit, events, persisted, tenancy

MIGRATIONS = Path(__file__).parent / "migrations"
CORE_VERSIONS = MIGRATIONS / "versions"
CORE_SCHEMAS = (
    tenancy.SCHEMA,
    events.SCHEMA,
    audit.SCHEMA,
    persisted.SCHEMA,
    attachments.SCHEMA,
)
LEGACY_REVISIONS = frozenset({"0001", "0002", "0003", "0004", "0005", "0006"})
"""The single linear history before domains had branches; a database stamped with one of
these cannot be upgraded in place (see `LegacyDatabase`)."""


class LegacyDatabase(RuntimeError):
    """The database was migrated by the pre-branch history."""


@dataclass(frozen=True)
class MigrationSet:
    """What one `opsgraph migrate` covers: the shared tables plus each domain's schema, tables
    and version directory."""

    schemas: tuple[str, ...]
    metadata: tuple[MetaData, ...]
    locations: tuple[Path, ...]

    @classmethod
    def of(cls, domains: Sequence[tuple[str, MetaData, Path]]) -> MigrationSet:
        """The core set plus the domains given as (schema, metadata, version directory)."""
        return cls(
            schemas=(*CORE_SCHEMAS, *(schema for schema, _, _ in domains)),
            metadata=(Base.metadata, *(metadata for _, metadata, _ in domains)),
            locations=(CORE_VERSIONS, *(location for _, _, location in domains)),
        )

    def context_options(self) -> dict[str, Any]:
        """Options shared by the migration environment and the drift check."""
        schemas = set(self.schemas)

        def include_name(name: str | None, type_: str, parent_names: object) -> bool:
            return name in schemas if type_ == "schema" else True

        return {
            "target_metadata": list(self.metadata),
            "include_schemas": True,
            "include_name": include_name,
            "version_table_schema": "public",
            "compare_type": True,
        }

    def config(self, url: str) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option(
            "version_locations", " ".join(str(location) for location in self.locations)
        )
        config.set_main_option("path_separator", "space")
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        config.attributes["migration_set"] = self
        return config

    def upgrade(self, url: str, revision: str = "heads") -> None:
        command.upgrade(self.config(url), revision)

    def downgrade(self, url: str, revision: str = "base") -> None:
        command.downgrade(self.config(url), revision)

    def stamp(self, url: str, revisions: Sequence[str]) -> None:
        """Record `revisions` as the database's without running them (a restored backup
        holds their tables already)."""
        command.stamp(self.config(url), list(revisions))

    @cached_property
    def head_revisions(self) -> frozenset[str]:
        """What the version table holds once every branch is at its head: the heads less those
        another head depends on (Alembic records only the outermost of a dependency)."""
        script = ScriptDirectory.from_config(self.config("postgresql://unused"))
        heads = set(script.get_heads())
        below: set[str] = set()
        pending = list(heads)
        while pending:
            revision = script.get_revision(pending.pop())
            assert revision is not None
            for parent in (*_names(revision.down_revision), *_names(revision.dependencies)):
                if parent not in below:
                    below.add(parent)
                    pending.append(parent)
        return frozenset(heads - below)

    async def current_revisions(self, engine: AsyncEngine) -> frozenset[str]:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)

    async def schema_drift(self, engine: AsyncEngine) -> list[Any]:
        """Differences between the mapped tables and the migrated database (empty when in
        sync)."""
        from alembic.autogenerate import compare_metadata

        options = self.context_options()

        def compare(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(connection, opts=options)
            return list(compare_metadata(context, options["target_metadata"]))

        async with engine.connect() as connection:
            return await connection.run_sync(compare)


def _names(revisions: str | Sequence[str] | None) -> tuple[str, ...]:
    if revisions is None:
        return ()
    return (revisions,) if isinstance(revisions, str) else tuple(revisions)


def _current(connection: Connection) -> frozenset[str]:
    context = MigrationContext.configure(connection, opts={"version_table_schema": "public"})
    return frozenset(context.get_current_heads())


def refuse_legacy(connection: Connection) -> None:
    """Raise `LegacyDatabase` when the database is stamped by the pre-branch history (the
    migration environment calls this before migrating)."""
    if connection.scalar(text("SELECT to_regclass('public.alembic_version')")) is None:
        return
    stamped = set(connection.scalars(text("SELECT version_num FROM public.alembic_version")))
    legacy = stamped & LEGACY_REVISIONS
    if legacy:
        raise LegacyDatabase(
            f"this database was migrated by OpsGraph's single migration history (revision "
            f"{min(legacy)}), before each domain got its own; it cannot be upgraded in place. "
            "Start from an empty database (for the embedded one, remove its data directory)."
        )
