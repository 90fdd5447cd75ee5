"""Running a subgraph schema directly, as the router's in-process transport does."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette

from db.embedded import EmbeddedPostgres
from db.roles import app_database_url
from db.scope import SET_TENANT
from db.tables.events import OutboxEvent
from opsgraph.in_process import in_process_executor
from opsgraph.runtime import Runtime
from opsgraph.server import create_app
from opsgraph.settings import Settings, load_settings


class Subgraph:
    def __init__(self, schema: Any, new_context: Any) -> None:
        self.schema = schema
        self.new_context = new_context
        self.execute = in_process_executor(schema)

    async def run(self, query: str, context: Any = None, **variables: Any) -> dict[str, Any]:
        """Execute in a fresh request context (or the one given); returns data and errors."""
        own = context is None
        context = context or self.new_context()
        try:
            result = await self.execute(query, variables, None, context)
        finally:
            if own:
                await context.close()  # as the server does after each request
        return {"data": result["data"], "errors": result.get("errors", [])}

    async def ok(self, query: str, context: Any = None, **variables: Any) -> dict[str, Any]:
        result = await self.run(query, context, **variables)
        assert not result["errors"], result["errors"]
        return result["data"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ServedApp:
    client: httpx.AsyncClient
    settings: Settings
    app: Starlette  # its `state` holds what operators read (cache and Redis stats)


@contextlib.asynccontextmanager
async def serving_app(
    database_url: str,
    data_dir: Path,
    *,
    build: Callable[[Runtime], Starlette] = create_app,
    base_url: str = "http://testserver",
    **environment: str,
) -> AsyncIterator[ServedApp]:
    """The real server app (or what `build` makes of the runtime, e.g. a subgraph served
    alone), in-process (lifespan run, httpx over ASGI), with these settings."""
    settings = load_settings(
        {"DATABASE_URL": database_url, "OPSGRAPH_DATA_DIR": str(data_dir), **environment},
        Path("/nonexistent/.env"),
    )
    runtime = Runtime(settings)
    await asyncio.to_thread(runtime.prepare)  # Alembic runs its own event loop
    app = build(runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield ServedApp(client, settings, app)


@contextlib.asynccontextmanager
async def running_app(
    database_url: str, data_dir: Path, **environment: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """:func:`serving_app`'s client and settings."""
    async with serving_app(database_url, data_dir, **environment) as served:
        yield served.client, served.settings


async def count_rows(sessions: Any, table: Any, tenant_id: Any) -> int:
    """Rows of `table` belonging to a tenant (read as the owner, past the tenant wall)."""
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(table).where(table.tenant_id == tenant_id)
            )
        )


async def analysed(sessions: Any, *tables: str) -> None:
    """ANALYZE `tables` (as the owner, committed): the planner knows what they now hold."""
    async with sessions() as session, session.begin():
        for table in tables:
            await session.execute(text(f"ANALYZE {table}"))


async def rows_read(
    database_url: str, tenant_id: Any, statement: Any, table: Any
) -> tuple[Any, int]:
    """`statement`'s rows, run as the application role behind `tenant_id`'s wall, and how
    many rows of `table` (its partitions', when partitioned) PostgreSQL read for it (its
    transaction's table statistics, on a connection of its own: a pooled one may still hold
    earlier transactions' counts)."""
    engine = create_async_engine(app_database_url(database_url), poolclass=NullPool)
    try:
        async with engine.connect() as connection, connection.begin():
            await connection.execute(SET_TENANT, {"tenant": str(tenant_id)})
            rows = (await connection.execute(statement)).all()
            read = await connection.scalar(READ_SO_FAR, table_named(table))
    finally:
        await engine.dispose()
    return rows, int(read)


# How many rows of a table (its partitions', when partitioned) the transaction has read so
# far, sequentially or by an index: its table statistics.
READ_SO_FAR = text(
    "SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0) AS read "
    "FROM pg_stat_xact_user_tables WHERE relid = CAST(:table AS regclass) "
    "OR relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = CAST(:table AS regclass))"
)


def table_named(table: Any) -> dict[str, str]:
    """`READ_SO_FAR`'s parameter for a mapped class's table."""
    return {"table": f"{table.__table__.schema}.{table.__table__.name}"}


async def event_numbers(sessions: Any, entity_id: Any) -> list[tuple[str, Any]]:
    """Each outbox event of an entity, oldest first: its kind and its payload's number."""
    outbox = OutboxEvent
    async with sessions() as session:
        rows = await session.execute(
            select(outbox.kind, outbox.payload)
            .where(outbox.entity_id == entity_id)
            .order_by(outbox.id)
        )
        return [(kind, payload["number"]) for kind, payload in rows]


async def run_in_router(gateway: Any, context: Any, query: str, **variables: Any) -> dict[str, Any]:
    """The operation through the router in-process (a `Gateway`), in its own request
    context, closed afterwards as the server does."""
    try:
        return await gateway.execute(query, variables, None, context)  # type: ignore[no-any-return]
    finally:
        await context.close()


async def ok_in_router(gateway: Any, context: Any, query: str, **variables: Any) -> dict[str, Any]:
    """:func:`run_in_router`'s data, asserting there are no errors."""
    result = await run_in_router(gateway, context, query, **variables)
    assert "errors" not in result, result["errors"]
    return result["data"]  # type: ignore[no-any-return]


def error_codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Each error's `extensions.code` and `extensions.field`."""
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in result["errors"]]


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Stop a server process as an operator does: SIGTERM, then wait for it to shut down
    (an `opsgraph serve` on the embedded cluster stops its PostgreSQL on the way out);
    SIGKILL only when it has not ended within `timeout` seconds. Returns its exit code.

    Never SIGKILL first: a killed server leaves its children (the embedded postmaster)
    running after the suite."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


# Ports handed out to the servers the tests start: below the kernel's ephemeral range
# (32768 and up on Linux), so that no socket bound to port 0 and no outgoing connection
# takes one, and one block per xdist worker, so that no other worker hands the same one out
# between its check here and its server's bind (a split set's router once composed another
# worker's subgraph, answering at the port its own had been given).
_PORTS_FROM = 20_000
_PORTS_PER_WORKER = 500
_next_port = itertools.count(os.getpid() % _PORTS_PER_WORKER)


def free_port() -> int:
    """A loopback port nothing listens on, from this xdist worker's own block (each port
    in turn, so two servers starting at once are never given the same one)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = _PORTS_FROM + int(worker or 0) * _PORTS_PER_WORKER
    for _ in range(_PORTS_PER_WORKER):
        port = first + next(_next_port) % _PORTS_PER_WORKER
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or connections to it still in TIME_WAIT
        return port
    raise RuntimeError(f"no free port in {first}..{first + _PORTS_PER_WORKER - 1}")


class RedisServer:
    """A redis-server process from PATH on a loopback port; it can be stopped and restarted
    on the same port (what a Redis restart looks like to its clients)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def on_free_port(cls) -> RedisServer:
        if shutil.which("redis-server") is None:
            pytest.skip("needs Redis: set REDIS_URL or put redis-server on PATH")
        server = cls(free_port())
        server.start()
        return server

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        finally:
            client.close()

    def pause(self) -> None:
        """SIGSTOP: a hung Redis. Its port still accepts connections (the kernel's backlog)
        but nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: it answers again, everything that was sent meanwhile included."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a paused process acts on SIGTERM only then
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class PostgresServer:
    """A private embedded PostgreSQL cluster that a test may stop and start again; its URLs
    (a Unix socket in the data directory) stay the same, as a restart looks to clients.

    `stop()` is `pg_ctl stop` in its default fast mode: sessions are terminated and their
    open transactions rolled back, as in an operator's restart or a failover."""

    def __init__(self, data_dir: Path) -> None:
        self.embedded = EmbeddedPostgres(data_dir)
        self.embedded.start()
        self.admin_url = self.embedded.url("postgres")

    def stop(self) -> None:
        self.embedded.stop()

    def start(self) -> None:
        self.embedded.start()
