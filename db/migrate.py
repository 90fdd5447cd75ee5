"""Running Alembic from code (the CLI, the server start-up and the tests all come here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.base import Base
from db.tables import audit, events, identity, incidents

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMAS = (identity.SCHEMA, incidents.SCHEMA, events.SCHEMA, audit.SCHEMA)


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return name in SCHEMAS if type_ == "schema" else True


def context_options() -> dict[str, Any]:
    """Options shared by the migration environment and the drift check."""
    return {
        "target_metadata": Base.metadata,
        "include_schemas": True,
        "include_name": _include_name,
        "version_table_schema": "public",
        "compare_type": True,
    }


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(
        connection, opts={"version_table_schema": "public"}
    ).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def schema_drift(engine: AsyncEngine) -> list[Any]:
    """Differences between the mapped tables and the migrated database (empty when in sync)."""
    from alembic.autogenerate import compare_metadata

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts=context_options())
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)
