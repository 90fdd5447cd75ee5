"""Migrations: the round trip works on an empty database, and the tables match them."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.engine import create_engine


def test_upgrade_downgrade_upgrade_on_an_empty_database(server_url: str) -> None:
    name = f"opsgraph_mig_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        migrate.downgrade(url, "base")

        async def schemas_left() -> list[str]:
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
            try:
                rows = await conn.fetch(
                    "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)",
                    list(migrate.SCHEMAS),
                )
                return [r["nspname"] for r in rows]
            finally:
                await conn.close()

        assert asyncio.run(schemas_left()) == []
        migrate.upgrade(url)

        async def revision() -> str | None:
            engine = create_engine(url)
            try:
                return await migrate.current_revision(engine)
            finally:
                await engine.dispose()

        assert asyncio.run(revision()) == migrate.head_revision()
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_tables_match_the_migrations(engine: AsyncEngine) -> None:
    assert await migrate.schema_drift(engine) == []
