"""`opsgraph serve` on its embedded PostgreSQL, as a new operator runs it: SIGTERM (plain
`kill`, `docker stop`, Kubernetes) and SIGINT (Ctrl-C, quietly: no traceback) both stop the
cluster when the last user exits, a user that died without leaving does not keep it alive,
and a command that only joins the running cluster (`opsgraph token`) says nothing about
starting one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import free_port, stop_process

# A custom role of the demo tenant, for `opsgraph token --role`.
CREATE_ROLE = """mutation {
  createRole(input: {name: "night-shift", permissions: ["incident:view"]}) { name }
}"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedded")


def _environment(data_dir: Path, port: int) -> dict[str, str]:
    """The environment of a fresh clone: no database or Redis configured, no XDG runtime."""
    unset = ("DATABASE_URL", "DATABASE_APP_URL", "REDIS_URL", "XDG_RUNTIME_DIR")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    return {**env, "OPSGRAPH_DATA_DIR": str(data_dir), "OPSGRAPH_PORT": str(port)}


@pytest.fixture
def serving(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`opsgraph serve --demo` on the embedded cluster; yields the process, its URL and log."""
    port = free_port()
    log = data_dir / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsgraph.cli", "serve", "--demo"],
            env=_environment(data_dir, port),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        stop_process(process, 60)
        raise RuntimeError(f"server did not start:\n{log.read_text()}")
    yield process, url, log
    stop_process(process, 60)  # SIGTERM: the server stops its embedded PostgreSQL


def _postmaster(data_dir: Path) -> psutil.Process:
    pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    return psutil.Process(pid)


def _gone(process: psutil.Process) -> bool:
    try:
        process.wait(30)
    except psutil.TimeoutExpired:
        return False
    return True


def _handles(data_dir: Path) -> list[int]:
    return json.loads((data_dir / "postgres" / ".handle_pids.json").read_text())


def test_sigterm_stops_the_embedded_postgres(
    serving: tuple[subprocess.Popen[bytes], str, Path], data_dir: Path
) -> None:
    process, _, _ = serving
    postmaster = _postmaster(data_dir)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 128 + signal.SIGTERM
    assert _gone(postmaster)
    assert _handles(data_dir) == []


def test_ctrl_c_ends_quietly_and_a_dead_user_does_not_keep_the_cluster_alive(
    serving: tuple[subprocess.Popen[bytes], str, Path], data_dir: Path
) -> None:
    """`make run` and Ctrl-C: the cluster stops, no traceback, status 130 (128 + SIGINT)."""
    process, _, log = serving
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()  # a user that never left: its pid is listed, its process gone
    handles = data_dir / "postgres" / ".handle_pids.json"
    handles.write_text(json.dumps([*_handles(data_dir), killed.pid]))
    postmaster = _postmaster(data_dir)
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 128 + signal.SIGINT
    assert _gone(postmaster)
    assert _handles(data_dir) == []
    output = log.read_text()  # stdout and stderr
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output


def test_token_joins_quietly_and_takes_the_tenants_own_roles(
    serving: tuple[subprocess.Popen[bytes], str, Path], data_dir: Path
) -> None:
    _, url, log = serving
    created = httpx.post(f"{url}/graphql", json={"query": CREATE_ROLE}, timeout=30).json()
    assert created == {"data": {"createRole": {"name": "night-shift"}}}, created
    env = _environment(data_dir, int(url.rsplit(":", 1)[1]))
    user = ["token", "--user", "ada.lovelace@demo.example", "--ttl", "10m"]

    minted = subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", *user, "--role", "night-shift"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert minted.returncode == 0, minted.stderr
    assert minted.stdout.count(".") == 2  # one JWT
    assert minted.stderr == ""  # no "starting embedded PostgreSQL", no RuntimeDirWarning
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": "{ incidents(pagination: {first: 1}) { totalCount } }"},
        headers={"authorization": f"Bearer {minted.stdout.strip()}"},
        timeout=30,
    ).json()
    assert answer["data"]["incidents"]["totalCount"] > 0, answer

    refused = subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", *user, "--role", "no-such-role"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "opsgraph: no role 'no-such-role' in tenant 'demo'; "
        "its roles: viewer, operator, admin, night-shift"
    )
    assert "RuntimeDirWarning" not in log.read_text()
