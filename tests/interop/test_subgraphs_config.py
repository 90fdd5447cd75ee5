"""The subgraphs file `opsgraph router --config` reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsgraph.deployment import url
from opsgraph.domains import REGISTRY
from opsgraph.remote_router import (
    ConfigError,
    SubgraphConfig,
    load_config,
    parse_subgraph_flags,
    remote_subgraphs,
)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "subgraphs.toml"
    path.write_text(text)
    return path


def test_committed_file_lists_every_registered_subgraph_over_http() -> None:
    assert load_config(ROOT / "schema" / "subgraphs.toml") == [
        SubgraphConfig(name, url=url(REGISTRY, name), timeout_s=10.0)
        for name in sorted(REGISTRY.names)
    ]


def test_timeout_defaults_and_names_are_sorted(tmp_path: Path) -> None:
    path = write(tmp_path, '[subgraphs.b]\nurl = "http://b"\n[subgraphs.a]\nmodule = "x.a"\n')

    assert load_config(path) == [
        SubgraphConfig("a", module="x.a", timeout_s=10.0),
        SubgraphConfig("b", url="http://b", timeout_s=10.0),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no [subgraphs.NAME] table"),
        ("[subgraphs.a]\n", "subgraphs.a needs exactly one of url, module"),
        ('[subgraphs.a]\nurl = "u"\nmodule = "m"\n', "needs exactly one of url, module"),
        ('[subgraphs.a]\nurl = "u"\ntimeout_s = 0\n', "timeout_s must be a positive number"),
        ('[subgraphs.a]\nurl = "u"\nretries = 3\n', "subgraphs.a: unknown key(s) retries"),
        ("[subgraphs.a\n", "subgraphs.toml: "),
    ],
)
def test_malformed_files_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text))

    assert message in str(raised.value)


def test_in_process_entries_are_refused_by_the_remote_router() -> None:
    with pytest.raises(ConfigError) as raised:
        remote_subgraphs([SubgraphConfig("identity", module="subgraphs.identity")])

    assert str(raised.value).startswith("subgraph(s) identity are in-process (module = ...)")


def test_subgraph_flags_are_read_like_the_file() -> None:
    assert parse_subgraph_flags(["b=http://b:1/graphql", "a=https://a/graphql"]) == [
        SubgraphConfig("a", url="https://a/graphql", timeout_s=10.0),
        SubgraphConfig("b", url="http://b:1/graphql", timeout_s=10.0),
    ]


@pytest.mark.parametrize(
    "flags,message",
    [
        (["identity"], "--subgraph 'identity': expected NAME=http(s)://host:port/graphql"),
        (["=http://x/graphql"], "expected NAME="),
        (["a=ftp://x"], "expected NAME="),
        (["a=http://x/graphql", "a=http://y/graphql"], "--subgraph a is given twice"),
    ],
)
def test_malformed_subgraph_flags_are_refused(flags: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_subgraph_flags(flags)
