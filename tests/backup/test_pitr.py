"""Point-in-time recovery of the embedded PostgreSQL (opsgraph/backup/pitr.py): with WAL
archiving on (OPSGRAPH_WAL_ARCHIVE_DIR), a base backup, then write A, note T, write B;
recovering to T keeps A and not B, and the recovered cluster serves as a data directory."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import time
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from db.embedded import start_embedded
from opsgraph.backup.archive import BackupError, create_backup
from opsgraph.backup.pitr import recover
from opsgraph.cli import main
from opsgraph.domains import REGISTRY
from opsgraph.settings import Settings

KEY = bytes(range(32))


async def _write_a_then_b(url: str) -> tuple[datetime, str]:
    """Write A, note the instant, write B; switch WAL segments so B's is archived now."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("INSERT INTO tenancy.tenants (slug, name) VALUES ('a', 'A')")
        instant = await connection.fetchval("SELECT clock_timestamp()")
        await connection.execute("SELECT pg_sleep(0.01)")
        await connection.execute("INSERT INTO tenancy.tenants (slug, name) VALUES ('b', 'B')")
        segment = await connection.fetchval("SELECT pg_walfile_name(pg_switch_wal())")
        return instant, segment
    finally:
        await connection.close()


async def _slugs(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        return [row[0] for row in await connection.fetch("SELECT slug FROM tenancy.tenants")]
    finally:
        await connection.close()


def test_recovery_to_an_instant_between_two_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wal = tmp_path / "wal"
    source, url = start_embedded(tmp_path / "live", wal_archive=wal)
    try:
        REGISTRY.migrations.upgrade(url)
        archive, _ = create_backup(url, tmp_path / "backups", KEY, base=True)
        instant, segment = asyncio.run(_write_a_then_b(url))
        for _ in range(300):  # archive_command copies the switched segment
            if (wal / segment).exists():
                break
            time.sleep(0.1)
        assert (wal / segment).exists()
    finally:
        source.stop()
    settings = dataclasses.replace(Settings(), wal_archive_dir=wal)
    monkeypatch.setenv("OPSGRAPH_WAL_ARCHIVE_DIR", str(wal))
    monkeypatch.setenv("OPSGRAPH_BACKUP_KEY", base64.b64encode(KEY).decode())
    recovered_dir = tmp_path / "recovered"

    code = main(
        [
            "backup",
            "restore",
            str(archive),
            "--to-time",
            instant.isoformat(),
            "--data-dir",
            str(recovered_dir),
        ]
    )

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"recovered to {instant.isoformat()} in {recovered_dir}; serve it with "
        f"OPSGRAPH_DATA_DIR={recovered_dir}",
        "integrity: ok",
    ]
    # The source's socket lock is not restored (a reused pid in it would stop the start).
    assert not list((recovered_dir / "postgres").glob(".s.PGSQL.*"))
    recovered, recovered_url = start_embedded(tmp_path / "recovered")
    try:
        assert asyncio.run(_slugs(recovered_url)) == ["a"]
    finally:
        recovered.stop()
    with pytest.raises(BackupError, match="is not empty: recover into a new data directory"):
        recover(archive, KEY, instant, tmp_path / "recovered", settings)
    with pytest.raises(BackupError, match="is before this archive's base backup"):
        recover(archive, KEY, instant.replace(year=2000), tmp_path / "early", settings)


def test_recovery_needs_the_wal_archive(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="set OPSGRAPH_WAL_ARCHIVE_DIR"):
        recover(tmp_path / "none.backup", KEY, datetime.now(), tmp_path, Settings())
