"""Restoring a backup's logical dump into an empty database, then verifying it.

Order: refuse a database that holds anything; authenticate the whole archive while its dump
streams to a private temporary file (nothing reaches the database before the last chunk's
tag is checked); create the application role if the cluster lacks it (the dump's grants name
it); `pg_restore`; stamp the manifest's schema revisions (the version table is not dumped);
then the integrity checks against the manifest's snapshot."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.embedded import ensure_database
from db.engine import create_engine
from db.walls import ENSURE_APP_ROLE
from opsgraph.backup import manifest as names
from opsgraph.backup import tools
from opsgraph.backup.archive import BackupError, Readable, read_archive
from opsgraph.backup.manifest import Manifest
from opsgraph.domains import REGISTRY, Registry
from opsgraph.integrity.checks import Finding
from opsgraph.integrity.run import verify_database

CONTENTS = """
SELECT (SELECT string_agg(nspname, ', ' ORDER BY nspname) FROM pg_namespace
        WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'),
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
"""


def restore_backup(
    path: Path, key: bytes, target_url: str, *, registry: Registry = REGISTRY
) -> tuple[Manifest, list[Finding]]:
    """Restore the archive at `path` into the empty database at `target_url` (created when
    missing); returns the manifest and the integrity findings (empty: all is well)."""
    server_major = asyncio.run(_prepare_target(target_url))
    with tempfile.TemporaryDirectory(prefix="opsgraph-restore-") as work:
        dump = Path(work) / names.DUMP

        def keep_dump(name: str, stream: Readable, manifest: Manifest) -> None:
            if name == names.DUMP:
                with open(dump, "wb") as sink:
                    shutil.copyfileobj(stream, sink)

        manifest = read_archive(path, key, keep_dump)
        pg_restore = tools.find("pg_restore", max(server_major, manifest.dump_tool_major))
        target, env = tools.libpq_target(target_url)
        result = subprocess.run(
            [pg_restore, "--no-owner", "--exit-on-error", "--dbname", target, str(dump)],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    registry.migrations.stamp(target_url, manifest.snapshot.revisions)
    findings = asyncio.run(
        verify_database(target_url, expected=manifest.snapshot, registry=registry)
    )
    return manifest, findings


async def _prepare_target(target_url: str) -> int:
    """Create the database if missing, refuse it unless empty, make sure the application
    role exists; returns the server's major version."""
    url = make_url(target_url)
    name = url.database or "postgres"
    admin = url.set(drivername="postgresql", database="postgres")
    try:
        await ensure_database(admin.render_as_string(hide_password=False), name)
    except (OSError, asyncpg.PostgresError) as error:
        raise BackupError(f"cannot reach or create database {name}: {error}") from None
    engine = create_engine(target_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            schemas, public_tables = (await connection.execute(text(CONTENTS))).one()
            if schemas or public_tables:
                held = f"schemas {schemas}" if schemas else f"{public_tables} tables in public"
                raise BackupError(
                    f"database {name} is not empty (it holds {held}): a backup is restored "
                    "only into an empty database: create one (CREATE DATABASE ...) and name it "
                    "with --database-url, or, for the embedded PostgreSQL, set OPSGRAPH_DATA_DIR "
                    "to a new directory"
                )
            await connection.execute(text(ENSURE_APP_ROLE))
            version = int(await connection.scalar(text("SHOW server_version_num")) or 0)
    finally:
        await engine.dispose()
    return version // 10000
