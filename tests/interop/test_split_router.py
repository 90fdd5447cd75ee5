"""`opsgraph router --config FILE` (or `--subgraph NAME=URL` flags): the router as its own
process over HTTP subgraphs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.test_server import NESTED
from tests.support import free_port


def post(server: Server, query: str, **headers: str) -> dict[str, Any]:
    response = httpx.post(server.graphql, json={"query": query}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def start_router(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `opsgraph router` expecting it to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", "router", "--config", str(config)],
        env={**os.environ, **env, "OPSGRAPH_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_router_over_http_answers_like_the_in_process_server(
    remote_router: Server, in_process_server: Server
) -> None:
    over_http = post(remote_router, NESTED)

    assert "errors" not in over_http
    assert len(over_http["data"]["incidents"]["edges"]) == 5
    assert over_http == post(in_process_server, NESTED)


def test_subgraphs_given_as_flags_serve_the_same_answers(
    split_subgraphs: dict[str, Server], interop_env: dict[str, str], in_process_server: Server
) -> None:
    flags = [f"{name}={server.graphql}" for name, server in split_subgraphs.items()]
    port = free_port()
    router = start_server(
        ["router", *(arg for flag in flags for arg in ("--subgraph", flag))], interop_env, port
    )
    try:
        assert post(router, NESTED) == post(in_process_server, NESTED)
    finally:
        stop_server(router)


def test_caller_credentials_reach_the_subgraphs(remote_router: Server) -> None:
    body = post(remote_router, "{ incidents { totalCount } }", Authorization="Bearer not-a-jwt")

    assert body["data"] is None
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UNAUTHENTICATED"}
    assert body["errors"][0]["extensions"]["serviceName"] == "incidents"


def test_refuses_to_start_when_the_subgraphs_do_not_compose(
    split_subgraphs: dict[str, Server], interop_env: dict[str, str], tmp_path: Path
) -> None:
    identity = split_subgraphs["identity"].graphql
    config = tmp_path / "subgraphs.toml"
    config.write_text(
        f'[subgraphs.identity]\nurl = "{identity}"\n[subgraphs.twin]\nurl = "{identity}"\n'
    )

    completed = start_router(config, interop_env)

    assert completed.returncode == 1
    assert "opsgraph: the subgraphs do not compose:" in completed.stderr
    assert '[INVALID_FIELD_SHARING] Non-shareable field "Query.user"' in completed.stderr


def test_refuses_to_start_when_a_subgraph_is_unreachable(
    interop_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "subgraphs.toml"
    config.write_text(f'[subgraphs.identity]\nurl = "http://127.0.0.1:{free_port()}/graphql"\n')

    completed = start_router(config, interop_env)

    assert completed.returncode == 1
    assert "subgraph identity at http://127.0.0.1:" in completed.stderr
    assert "did not answer { _service { sdl } }" in completed.stderr
