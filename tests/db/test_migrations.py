"""Migrations: the round trip works on an empty database, and the tables match them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from db.migrate import LegacyDatabase
from opsgraph.domains import REGISTRY
from tests.conftest import empty_database

MIGRATIONS = REGISTRY.migrations


async def _schemas_present(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)", list(MIGRATIONS.schemas)
        )
        return sorted(r["nspname"] for r in rows)
    finally:
        await conn.close()


async def _revisions(url: str) -> frozenset[str]:
    engine = create_engine(url)
    try:
        return await MIGRATIONS.current_revisions(engine)
    finally:
        await engine.dispose()


def test_upgrade_downgrade_upgrade_on_an_empty_database(server_url: str) -> None:
    for url in empty_database(server_url, "opsgraph_mig"):
        MIGRATIONS.upgrade(url)
        assert asyncio.run(_schemas_present(url)) == sorted(MIGRATIONS.schemas)
        MIGRATIONS.downgrade(url, "base")
        assert asyncio.run(_schemas_present(url)) == []
        assert asyncio.run(_revisions(url)) == frozenset()
        MIGRATIONS.upgrade(url)
        assert asyncio.run(_revisions(url)) == MIGRATIONS.head_revisions


async def test_tables_match_the_migrations(owner_engine: AsyncEngine) -> None:
    assert await MIGRATIONS.schema_drift(owner_engine) == []


def test_a_database_of_the_single_history_is_refused_untouched(server_url: str) -> None:
    for url in empty_database(server_url, "opsgraph_legacy"):

        async def stamp(url: str = url) -> None:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute("CREATE TABLE alembic_version (version_num varchar(32))")
                await conn.execute("INSERT INTO alembic_version VALUES ('0006')")
            finally:
                await conn.close()

        asyncio.run(stamp())
        with pytest.raises(LegacyDatabase, match="revision 0006"):
            MIGRATIONS.upgrade(url)
        assert asyncio.run(_schemas_present(url)) == []


def test_replicas_migrating_at_once_take_turns(server_url: str) -> None:
    """A rollout starts several replicas (and the migration Job) on an empty database at
    once: each `opsgraph migrate` waits for one advisory lock, so all succeed and the schema
    is whole."""
    for url in empty_database(server_url, "opsgraph_concurrent_migrations"):
        env = {**os.environ, "DATABASE_URL": url, "OPSGRAPH_LOG_LEVEL": "warning"}
        replicas = [
            subprocess.Popen(
                [sys.executable, "-m", "opsgraph.cli", "migrate"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(3)
        ]
        outputs = [replica.communicate(timeout=300)[0].decode() for replica in replicas]
        assert [replica.returncode for replica in replicas] == [0, 0, 0], outputs
        assert asyncio.run(_revisions(url)) == REGISTRY.migrations.head_revisions
