"""The command line explains itself and refuses bad configuration before doing anything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from opsgraph.cli import _ttl_seconds


def opsgraph(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    "command", ["serve", "migrate", "seed", "schema", "subgraph", "token", "cmdb"]
)
def test_every_command_has_help(command: str) -> None:
    result = opsgraph(command, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: opsgraph {command}")


def test_top_level_help_lists_the_commands() -> None:
    result = opsgraph("--help")
    for command in ("serve", "migrate", "seed", "schema", "subgraph"):
        assert f"    {command}" in result.stdout


def test_bad_setting_stops_with_a_clear_message() -> None:
    result = opsgraph("serve", OPSGRAPH_PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "opsgraph: configuration error: OPSGRAPH_PORT='eighty' is not a whole number"
    )


def test_unknown_subgraph_is_refused() -> None:
    result = opsgraph("subgraph", "billing", "--port", "1")
    assert result.returncode == 2 and "unknown subgraph 'billing'" in result.stderr


@pytest.mark.parametrize(
    ("ttl", "seconds"),
    [("12h", 43_200), ("15m", 900), ("2d", 172_800), ("❶h", None), ("²m", None), ("h", None)],
)  # "❶" and "²" are digits to str.isdigit, not to int()
def test_token_ttls(ttl: str, seconds: int | None) -> None:
    assert _ttl_seconds(ttl) == seconds
