"""Migrations: the round trip works on an empty database, and the tables match them."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.engine import create_engine
from tests.conftest import empty_database


async def _schemas_present(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)", list(migrate.SCHEMAS)
        )
        return sorted(r["nspname"] for r in rows)
    finally:
        await conn.close()


async def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def test_upgrade_downgrade_upgrade_on_an_empty_database(server_url: str) -> None:
    for url in empty_database(server_url, "opsgraph_mig"):
        migrate.upgrade(url)
        assert asyncio.run(_schemas_present(url)) == sorted(migrate.SCHEMAS)
        migrate.downgrade(url, "base")
        assert asyncio.run(_schemas_present(url)) == []
        assert asyncio.run(_revision(url)) is None
        migrate.upgrade(url)
        assert asyncio.run(_revision(url)) == migrate.head_revision()


async def test_tables_match_the_migrations(owner_engine: AsyncEngine) -> None:
    assert await migrate.schema_drift(owner_engine) == []
