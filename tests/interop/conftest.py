"""Processes and tools for interoperability tests.

- The two subgraphs as stand-alone processes (`opsgraph subgraph NAME`), our router over HTTP
  (`opsgraph router --config FILE`) and, for comparison, `opsgraph serve`; all over a
  database of their own, started with the e2e helpers.
- Apollo's JavaScript packages and the `graphql-ws` client (with `ws`), installed once with
  npm into `~/.cache/opsgraph/interop-node` at the exact versions below; tests needing
  them are skipped when `node` is not on PATH.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsgraph.domains import REGISTRY
from tests.conftest import fresh_database
from tests.e2e.conftest import (
    SMALL_POOLS,
    Server,
    seed_tenant,
    start_server,
    start_servers,
    stop_server,
)
from tests.support import free_port

TENANT = "interop"
ROUTER_SECRET = "interop-router-secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]
# Outside the work tree, like npm's and pip's own caches: a fresh clone (CI's) reuses it.
NODE_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "opsgraph" / "interop-node"
)
SCRIPTS = Path(__file__).resolve().parent / "js"
# Exact versions (checked with `npm view`); changing one reinstalls.
NPM_PACKAGES = {
    "@apollo/composition": "2.14.4",
    "@apollo/gateway": "2.14.4",
    "@graphql-hive/gateway": "2.15.1",
    "graphql": "16.15.0",
    "graphql-ws": "6.4.2",
    "ws": "8.23.0",
}


@pytest.fixture(scope="session")
def interop_database_url(server_url: str) -> Iterator[str]:
    """The processes' own database, so their outbox relays never race other tests."""
    yield from fresh_database(server_url, "opsgraph_interop")


@pytest.fixture(scope="session")
def interop_env(
    interop_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Settings shared by every process: one seeded database, one issuer key."""
    seed_tenant(interop_database_url, TENANT, scale=20)
    return {
        "DATABASE_URL": interop_database_url,
        "OPSGRAPH_DEFAULT_TENANT": TENANT,
        "OPSGRAPH_DATA_DIR": str(tmp_path_factory.mktemp("interop-data")),
        # The subgraphs answer _entities/_service only to a router sending it.
        "OPSGRAPH_SUBGRAPH_SECRET": ROUTER_SECRET,
        **SMALL_POOLS,
    }


@pytest.fixture(scope="module")
def split_subgraphs(interop_env: dict[str, str]) -> Iterator[dict[str, Server]]:
    """Each subgraph in its own process; per module, not per run: a set kept for the run by
    each test worker, beside the e2e tests' own sets, held more connections than
    PostgreSQL's default 100 (each process keeps a few)."""
    ports = {name: free_port() for name in REGISTRY.names}
    started = start_servers(
        [
            (["subgraph", name, "--port", str(port)], interop_env, port)
            for name, port in ports.items()
        ]
    )
    yield dict(zip(ports, started, strict=True))
    for server in started:
        stop_server(server)


@pytest.fixture(scope="module")
def subgraphs_config(
    split_subgraphs: dict[str, Server], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A subgraphs file pointing at the stand-alone subgraph processes."""
    path = tmp_path_factory.mktemp("interop-config") / "subgraphs.toml"
    path.write_text(
        "".join(
            f'[subgraphs.{name}]\nurl = "{server.graphql}"\ntimeout_s = 10\n\n'
            for name, server in split_subgraphs.items()
        )
    )
    return path


@pytest.fixture(scope="module")
def remote_router(interop_env: dict[str, str], subgraphs_config: Path) -> Iterator[Server]:
    """`opsgraph router --config FILE` over the stand-alone subgraphs."""
    port = free_port()
    running = start_server(["router", "--config", str(subgraphs_config)], interop_env, port)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def in_process_server(interop_env: dict[str, str]) -> Iterator[Server]:
    """`opsgraph serve`: the reference answers."""
    port = free_port()
    running = start_server(["serve"], interop_env, port)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """Apollo's packages installed (once, cached across runs) for the node scripts."""
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    npm = shutil.which("npm")
    assert npm is not None, "node without npm on PATH"
    marker = NODE_CACHE / "installed.json"
    wanted = json.dumps(NPM_PACKAGES, sort_keys=True)
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    # One installer at a time: parallel test workers (and runs of other clones) share it.
    with (NODE_CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists() or marker.read_text() != wanted:
            package = {"name": "opsgraph-interop", "private": True, "dependencies": NPM_PACKAGES}
            (NODE_CACHE / "package.json").write_text(json.dumps(package, indent=2))
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                cwd=NODE_CACHE,
                check=True,
                timeout=600,
            )
            marker.write_text(wanted)
    return NODE_CACHE / "node_modules"


def run_node(node_modules: Path, script: str, payload: Any) -> Any:
    """Run `js/<script>` with `payload` as JSON on stdin; its stdout parsed as JSON."""
    completed = subprocess.run(
        ["node", str(SCRIPTS / script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(node_modules)},
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)
