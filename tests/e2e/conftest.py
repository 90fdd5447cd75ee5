"""The real server processes on loopback ports, over this run's test database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from db.engine import create_engine, session_factory
from opsgraph.auth.issuer import DevIssuer
from opsgraph.domains import REGISTRY
from opsgraph.seed import seed_demo
from tests.conftest import fresh_database
from tests.support import free_port, stop_process

TENANT = "e2e"


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"


def start_server(args: list[str], env: dict[str, str], port: int) -> Server:
    return start_servers([(args, env, port)])[0]


def start_servers(specs: list[tuple[list[str], dict[str, str], int]]) -> list[Server]:
    """Start `opsgraph` processes (arguments, environment, port) at once and wait until every
    one is ready: a split set starts in the time of its slowest process, not their sum."""
    launched = [_launch(args, env, port) for args, env, port in specs]
    try:
        for process, log, url, verify in launched:
            _wait_ready(process, log, url, verify)
    except BaseException:
        for process, *_ in launched:
            stop_process(process)
        raise
    return [Server(url, process, log) for process, log, url, _ in launched]


def _launch(
    args: list[str], env: dict[str, str], port: int
) -> tuple[subprocess.Popen[bytes], Path, str, ssl.SSLContext | bool]:
    # Output goes to a file, never to an unread pipe: a full pipe would block the server's
    # logging, and with it the whole event loop.
    log = _log_file("opsgraph-server-")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsgraph.cli", *args],
            env={**os.environ, **env, "OPSGRAPH_PORT": str(port), "OPSGRAPH_LOG_LEVEL": "warning"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # Over HTTPS when the server has a certificate, checked with the CA the env names.
    scheme = "https" if env.get("OPSGRAPH_TLS_CERT") else "http"
    authority = env.get("OPSGRAPH_TLS_CA")
    verify = ssl.create_default_context(cafile=authority) if authority else True
    return process, log, f"{scheme}://127.0.0.1:{port}", verify


def _wait_ready(
    process: subprocess.Popen[bytes], log: Path, url: str, verify: ssl.SSLContext | bool
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/ready", timeout=1, verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not become ready in 60 s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    stop_process(server.process, 15)


def issuer_of(server: Server, env: dict[str, str]) -> DevIssuer:
    """The development issuer as `server` names itself (the key is shared by every process
    of the run: one data directory)."""
    return DevIssuer(Path(env["OPSGRAPH_DATA_DIR"]), server.url, "opsgraph")


@contextlib.contextmanager
def server_pair(env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    """Two `opsgraph serve` processes with the same settings (one database, one Redis)."""
    first, second = start_servers([(["serve"], env, free_port()), (["serve"], env, free_port())])
    try:
        yield first, second
    finally:
        stop_server(second)
        stop_server(first)


@pytest.fixture(scope="session")
def e2e_database_url(server_url: str) -> Iterator[str]:
    """The server processes' own database: their outbox relays must not race the tests'."""
    yield from fresh_database(server_url, "opsgraph_e2e")


def seed_tenant(database_url: str, slug: str = TENANT, scale: int = 120) -> None:
    """A tenant with the demo data set (the e2e tenant with 120 incidents by default)."""

    async def seed() -> None:
        engine = create_engine(database_url)
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, slug=slug, scale=scale)
        await engine.dispose()

    asyncio.run(seed())


@pytest.fixture(scope="session")
def seeded(e2e_database_url: str) -> str:
    """The e2e tenant, seeded with the demo data set."""
    seed_tenant(e2e_database_url)
    return TENANT


@pytest.fixture(scope="session")
def seeded_at(seeded: str) -> str:
    """A moment after the seed: `createdBefore` it selects the seeded incidents only, whatever
    other tests (sharing the server) created since."""
    return datetime.now(UTC).isoformat()


# Each server process keeps up to its pool's size of connections open, and each xdist worker
# runs a split set of processes beside its in-process server: on one PostgreSQL server
# shared by the workers (DATABASE_URL set), the default pools (10 and 5 more) came to its
# 100 connections ("too many clients"). Functional tests send a request or a burst at a
# time; 4 and 4 more serve them.
SMALL_POOLS = {"OPSGRAPH_DB_POOL_SIZE": "4", "OPSGRAPH_DB_MAX_OVERFLOW": "4"}


@pytest.fixture(scope="session")
def server_env(
    e2e_database_url: str,
    seeded: str,
    seeded_at: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """Shared by every server process of the run: one database, one issuer key.
    (``seeded_at`` is taken here, before any server runs, so no test's change precedes it.)"""
    return {
        "DATABASE_URL": e2e_database_url,
        "OPSGRAPH_DEFAULT_TENANT": seeded,
        "OPSGRAPH_DATA_DIR": str(tmp_path_factory.mktemp("e2e-data")),
        "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0",  # the fuzzer and the tests send bursts
        **SMALL_POOLS,
    }


@pytest.fixture(scope="session")
def server(server_env: dict[str, str]) -> Iterator[Server]:
    """`opsgraph serve`: the router with both subgraphs in-process."""
    running = start_server(["serve"], server_env, free_port())
    yield running
    stop_server(running)


def subgraphs_file(path: Path, urls: Mapping[str, str]) -> Path:
    """A split router's subgraphs file (`opsgraph router --config`, `--peers`) at `path`,
    naming each subgraph's URL."""
    path.write_text("".join(f'[subgraphs.{name}]\nurl = "{url}"\n' for name, url in urls.items()))
    return path


@pytest.fixture(scope="module")
def subgraph_servers(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Server]]:
    """`opsgraph subgraph NAME`: each subgraph as its own process, checking the ids it stores
    for other subgraphs' entities with them (`--peers`, the split router's subgraphs file).
    Per module, as the interop tests' set (tests/interop/conftest.py): kept for the whole
    run by each worker, the sets held more connections than PostgreSQL allows."""
    ports = {name: free_port() for name in REGISTRY.names}
    peers = subgraphs_file(
        tmp_path_factory.mktemp("split") / "subgraphs.toml",
        {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()},
    )
    running = dict(
        zip(
            ports,
            start_servers(
                [
                    (
                        ["subgraph", name, "--port", str(port), "--peers", str(peers)],
                        server_env,
                        port,
                    )
                    for name, port in ports.items()
                ]
            ),
            strict=True,
        )
    )
    yield running
    for server in running.values():
        stop_server(server)


def _log_file(prefix: str) -> Path:
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=".log")
    os.close(descriptor)
    return Path(name)


def mint_token(
    server: Server, server_env: dict[str, str], email: str, role: str
) -> subprocess.CompletedProcess[str]:
    """`opsgraph token --user EMAIL --role ROLE` against the running server's settings."""
    command = ["token", "--user", email, "--role", role, "--ttl", "10m"]
    return subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", *command],
        env={**os.environ, **server_env, "OPSGRAPH_PORT": str(urlsplit(server.url).port)},
        capture_output=True,
        text=True,
        timeout=60,
    )
