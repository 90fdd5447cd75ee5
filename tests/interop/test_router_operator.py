"""`opsgraph router` as an operator runs it: from a supergraph file another composer wrote,
with headers per subgraph, with the query plan for admins, and refusing to start — exit 1,
one readable line per problem, no traceback — when it cannot serve."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from opsgraph.domains import REGISTRY
from opsgraph.in_process import subgraph_sdl
from opsgraph.server import build_supergraph
from router.planning import format_plan, plan
from tests.e2e.conftest import Server, issuer_of, start_server, stop_server
from tests.e2e.test_server import NESTED
from tests.interop.conftest import TENANT, run_node
from tests.interop.test_hive_gateway import shipped
from tests.support import free_port

DETAIL = (
    "{ incidents(pagination: {first: 3}) { edges { node { number assignee { name email } "
    "team { name email } comments { author { name email } } } } } }"
)
SECRET = "OPSGRAPH_SUBGRAPH_SECRET"


def post(server: Server, query: str, **headers: str) -> dict[str, Any]:
    response = httpx.post(server.graphql, json={"query": query}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(args: list[str], env: dict[str, str]) -> list[str]:
    """Run `opsgraph router ARGS` expecting it to refuse to start: its stderr lines."""
    completed = subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", "router", *args],
        env={**os.environ, **env, "OPSGRAPH_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    return completed.stderr.splitlines()


@pytest.fixture
def router(interop_env: dict[str, str]) -> Iterator[Any]:
    """Starts `opsgraph router ARGS` (with extra environment) and stops it after the test."""
    started: list[Server] = []

    def start(args: list[str], env: dict[str, str] | None = None) -> Server:
        server = start_server(["router", *args], env or interop_env, free_port())
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


def apollo_supergraph(node_modules: Path) -> str:
    services = [
        {"name": domain.name, "sdl": subgraph_sdl(domain.schema)} for domain in REGISTRY.domains
    ]
    composed = run_node(node_modules, "compose.cjs", services)
    assert composed.get("errors") is None
    sdl: str = composed["supergraphSdl"]
    return sdl


# --- --supergraph FILE --------------------------------------------------------------------


def test_our_supergraph_file_serves_like_the_composing_router(
    split_subgraphs: dict[str, Server], remote_router: Server, router: Any, tmp_path: Path
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(shipped("supergraph.graphql", split_subgraphs))

    from_file = router(["--supergraph", str(path)])

    for query in (NESTED, DETAIL):
        answer = post(from_file, query)
        assert "errors" not in answer
        assert answer == post(remote_router, query)


def test_apollos_composed_supergraph_serves_like_the_composing_router(
    node_modules: Path,
    split_subgraphs: dict[str, Server],
    remote_router: Server,
    router: Any,
    tmp_path: Path,
) -> None:
    supergraph = apollo_supergraph(node_modules)
    for name, server in split_subgraphs.items():
        unrouted = f'@join__graph(name: "{name}", url: "")'
        assert unrouted in supergraph
        supergraph = supergraph.replace(
            unrouted, f'@join__graph(name: "{name}", url: "{server.graphql}")'
        )
    path = tmp_path / "apollo.graphql"
    path.write_text(supergraph)

    from_apollo = router(["--supergraph", str(path)])

    for query in (NESTED, DETAIL):
        answer = post(from_apollo, query)
        assert "errors" not in answer
        assert answer == post(remote_router, query)


def test_a_supergraph_without_routing_urls_is_refused(
    node_modules: Path, interop_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "apollo.graphql"
    path.write_text(apollo_supergraph(node_modules))

    lines = refused(["--supergraph", str(path)], interop_env)

    assert lines == [
        f"opsgraph: {path}: subgraph(s) {', '.join(sorted(REGISTRY.names))} have no http(s) "
        "url in @join__graph(url: ...); compose with each subgraph's routing URL"
    ]


def test_a_file_that_is_no_supergraph_is_refused_with_its_issue(
    interop_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "schema.graphql"
    path.write_text("type Query { hello: String }\n")

    lines = refused(["--supergraph", str(path)], interop_env)

    assert lines == [
        f"opsgraph: the supergraph {path} cannot be served:",
        "  [INVALID_SUPERGRAPH] no @link to the join spec (https://specs.apollo.dev/join/v0.x)",
    ]


def test_supergraph_and_subgraph_sources_are_exclusive(interop_env: dict[str, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", "router", "--supergraph", "a", "--config", "b"],
        env={**os.environ, **interop_env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 2
    assert "argument --config: not allowed with argument --supergraph" in completed.stderr


# --- credentials towards the subgraphs and their _service answers -------------------------


def test_without_the_secret_the_refused_sdl_fetch_is_reported(
    subgraphs_config: Path, interop_env: dict[str, str]
) -> None:
    env = {name: value for name, value in interop_env.items() if name != SECRET}

    lines = refused(["--config", str(subgraphs_config)], env)

    assert [line.split(" at ")[0] for line in lines] == [
        f"opsgraph: subgraph {name}" for name in sorted(REGISTRY.names)
    ]
    for line in lines:
        assert "refused { _service { sdl } } (HTTP 403: FORBIDDEN: " in line
        assert line.endswith(
            "give the router the OPSGRAPH_SUBGRAPH_SECRET the subgraph has, or the headers it "
            "needs (`headers` in the subgraphs file)"
        )


def test_a_url_that_serves_no_graphql_is_reported(
    split_subgraphs: dict[str, Server], interop_env: dict[str, str]
) -> None:
    health = split_subgraphs["identity"].url + "/health"

    lines = refused(["--subgraph", f"identity={health}"], interop_env)

    assert len(lines) == 1
    assert lines[0].startswith(f"opsgraph: subgraph identity at {health} answered ")
    assert "{ _service { sdl } }" in lines[0]


def test_headers_per_subgraph_authenticate_the_router(
    split_subgraphs: dict[str, Server],
    interop_env: dict[str, str],
    remote_router: Server,
    router: Any,
    tmp_path: Path,
) -> None:
    config = tmp_path / "subgraphs.toml"
    config.write_text(
        "".join(
            f'[subgraphs.{name}]\nurl = "{server.graphql}"\n'
            'headers = { "X-OpsGraph-Router-Secret" = "${INTEROP_SECRET}" }\n'
            for name, server in split_subgraphs.items()
        )
    )
    env = {name: value for name, value in interop_env.items() if name != SECRET}

    with_headers = router(["--config", str(config)], {**env, "INTEROP_SECRET": interop_env[SECRET]})

    assert post(with_headers, DETAIL) == post(remote_router, DETAIL)


def test_an_unset_variable_in_the_headers_refuses_the_file(
    interop_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "subgraphs.toml"
    config.write_text(
        '[subgraphs.identity]\nurl = "http://127.0.0.1:1/graphql"\n'
        'headers = { "x-api-key" = "${OPSGRAPH_TEST_UNSET_KEY}" }\n'
    )

    lines = refused(["--config", str(config)], interop_env)

    assert lines == [
        f"opsgraph: {config}: subgraphs.identity.headers.x-api-key: environment variable "
        "OPSGRAPH_TEST_UNSET_KEY is unset"
    ]


# --- the query plan for admins --------------------------------------------------------------


def expected_plan(query: str) -> str:
    return format_plan(plan(build_supergraph(), parse(query), None))


def token(server: Server, env: dict[str, str], role: str) -> str:
    claims = {"sub": f"plan-{role}", "tenant_id": TENANT, "roles": [role]}
    return issuer_of(server, env).mint(claims, 600)


@pytest.mark.parametrize("deployment", ["in_process_server", "remote_router"])
def test_an_admin_gets_the_query_plan_in_extensions(
    deployment: str, request: pytest.FixtureRequest, interop_env: dict[str, str]
) -> None:
    server: Server = request.getfixturevalue(deployment)
    admin = f"Bearer {token(server, interop_env, 'admin')}"

    body = post(server, DETAIL, Authorization=admin, **{"X-OpsGraph-Query-Plan": "1"})

    assert body["extensions"] == {"queryPlan": expected_plan(DETAIL)}
    assert 'Fetch(service: "identity")' in body["extensions"]["queryPlan"]


@pytest.mark.parametrize("deployment", ["in_process_server", "remote_router"])
@pytest.mark.parametrize("caller", ["operator", "anonymous", "forged"])
def test_anyone_else_asking_for_the_plan_is_ignored(
    deployment: str, caller: str, request: pytest.FixtureRequest, interop_env: dict[str, str]
) -> None:
    server: Server = request.getfixturevalue(deployment)
    headers = {"X-OpsGraph-Query-Plan": "1"}
    if caller == "operator":
        headers["Authorization"] = f"Bearer {token(server, interop_env, 'operator')}"
    elif caller == "forged":
        payload, _, _ = token(server, interop_env, "admin").rpartition(".")
        headers["Authorization"] = f"Bearer {payload}.c2lnbmF0dXJl"

    response = httpx.post(
        server.graphql, json={"query": "{ incidents { totalCount } }"}, headers=headers, timeout=30
    )

    assert "extensions" not in response.json()
