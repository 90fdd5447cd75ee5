"""The subgraphs file `opsgraph router --config` reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from opsgraph.deployment import url
from opsgraph.domains import REGISTRY
from opsgraph.remote_router import (
    ConfigError,
    SubgraphConfig,
    fetch_sdl,
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


def test_headers_per_subgraph_are_read_with_variables_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSGRAPH_TEST_KEY", "s3cret")
    path = write(
        tmp_path,
        '[subgraphs.a]\nurl = "http://a"\n'
        'headers = { "X-Api-Key" = "key-${OPSGRAPH_TEST_KEY}", "x-zone" = "eu" }\n',
    )

    assert load_config(path) == [
        SubgraphConfig(
            "a",
            url="http://a",
            timeout_s=10.0,
            headers=(("x-api-key", "key-s3cret"), ("x-zone", "eu")),
        )
    ]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ('"x"', "subgraphs.a.headers must be a table of header names to strings"),
        ('{ "x-n" = 1 }', "subgraphs.a.headers.x-n must be a header name with a string value"),
        ('{ "bad name" = "v" }', "must be a header name with a string value"),
        ('{ "Authorization" = "v" }', "the router forwards the caller's authorization"),
        ('{ "x-k" = "${OPSGRAPH_TEST_UNSET_KEY}" }', "OPSGRAPH_TEST_UNSET_KEY is unset"),
        ('{ "x-k" = "a\\nb" }', "a header value cannot span lines"),
    ],
)
def test_malformed_headers_are_refused(tmp_path: Path, headers: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, f'[subgraphs.a]\nurl = "http://a"\nheaders = {headers}\n'))

    assert message in str(raised.value)


def answering(status: int, body: bytes) -> httpx.AsyncClient:
    """A client whose every POST gets this answer (a real ASGI app, no network)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (200, b'{"data": {"_service": {"sdl": "type Query { a: Int }"}}}', None),
        (
            200,
            b'{"data": null, "errors": [{"message": "no", "extensions": {"code": "X"}}]}',
            "answered { _service { sdl } } with an error (HTTP 200): X: no",
        ),
        (200, b'{"data": {"hello": 1}}', "answered { _service { sdl } } without an SDL"),
        (502, b"<html>", "answered { _service { sdl } } with HTTP 502 and no JSON: '<html>'"),
        (
            401,
            b'{"errors": [{"message": "who?"}]}',
            "refused { _service { sdl } } (HTTP 401: who?)",
        ),
    ],
)
async def test_every_sdl_answer_but_an_sdl_is_reported_in_one_line(
    status: int, body: bytes, reason: str | None
) -> None:
    config = SubgraphConfig("a", url="http://a.test/graphql")
    async with answering(status, body) as client:
        if reason is None:
            assert await fetch_sdl(client, config) == "type Query { a: Int }"
            return
        with pytest.raises(ConfigError) as raised:
            await fetch_sdl(client, config)

    message = str(raised.value)
    assert message.startswith("subgraph a at http://a.test/graphql ")
    assert reason in message
    assert "\n" not in message
