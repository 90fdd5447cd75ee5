"""A stand-alone subgraph in production holds requests to the router's rules (limits, no
introspection, no hints) and answers `_entities`/`_service` only to the router's secret;
the split router, given that secret, serves end to end. Real processes throughout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, mint_token, start_server, stop_server
from tests.e2e.test_server import NESTED
from tests.support import free_port

SECRET = "c2f1e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9"
HEADER = "X-OpsGraph-Router-Secret"
SDL = "{ _service { sdl } }"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Incident { id } } }"


@pytest.fixture(scope="module")
def production_env(server_env: dict[str, str], server: Server) -> dict[str, str]:
    """Production subgraphs trusting `opsgraph serve`'s development issuer as their OIDC
    issuer (discovery, JWKS): one token is good for every process, as with a real IdP."""
    return {
        **server_env,
        "OPSGRAPH_ENV": "production",
        "OPSGRAPH_SUBGRAPH_SECRET": SECRET,
        "OPSGRAPH_OIDC_ISSUER": server.url,
    }


@pytest.fixture(scope="module")
def incidents(production_env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    running = start_server(["subgraph", "incidents", "--port", str(port)], production_env, port)
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def admin(server: Server, server_env: dict[str, str]) -> dict[str, str]:
    """An admin's bearer token from the issuer every production process trusts."""
    query = '{ users(filter: {search: "demo.example"}) { edges { node { email } } } }'
    users = httpx.post(server.graphql, json={"query": query}).json()
    email = users["data"]["users"]["edges"][0]["node"]["email"]
    minted = mint_token(server, server_env, email, "admin")
    assert minted.returncode == 0, minted.stderr
    return {"authorization": f"Bearer {minted.stdout.strip()}"}


def send(server: Server, query: str, headers: dict[str, str], **variables: Any) -> httpx.Response:
    return httpx.post(
        server.graphql, json={"query": query, "variables": variables}, headers=headers, timeout=30
    )


def refusal(response: httpx.Response, status: int) -> tuple[str, str]:
    """The code and the messages of a request refused before execution (no `data`)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert len(codes) == 1, body
    return codes.pop(), " ".join(error["message"] for error in body["errors"])


def test_introspection_is_refused(incidents: Server, admin: dict[str, str]) -> None:
    code, message = refusal(send(incidents, "{ __schema { types { name } } }", admin), 400)

    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in message.lower()


@pytest.mark.parametrize(
    "query,variables",
    [
        ("{ incidents { edges { node { titl } } } }", {}),
        (
            "query($s: [IncidentStatus!]) { incidents(filter: {status: $s}) { totalCount } }",
            {"s": ["OPN"]},
        ),
    ],
    ids=["field", "enum-variable"],
)
def test_errors_carry_no_hints(
    incidents: Server, admin: dict[str, str], query: str, variables: dict[str, Any]
) -> None:
    code, message = refusal(send(incidents, query, admin, **variables), 400)

    assert code in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")
    assert "Did you mean" not in message


def aliased(count: int, selection: str) -> str:
    """`count` aliased `incidents(pagination: {first: 100})` selecting `selection`."""
    page = "incidents(pagination: {first: 100})"
    return "{ " + " ".join(f"a{i}: {page} {{ {selection} }}" for i in range(count)) + " }"


@pytest.mark.parametrize(
    "query,code",
    [
        (aliased(200, "totalCount"), "MAX_ALIASES_LIMIT"),
        (aliased(25, "edges { node { id title comments { body } } }"), "MAX_COST_LIMIT"),
        ("{ " + "incidents { " * 12 + "id" + " }" * 12 + " }", "MAX_DEPTH_LIMIT"),
        ("{ incidents { totalCount " + "__typename " * 6000 + "} }", "MAX_TOKENS_LIMIT"),
        ("{ incidents { totalCount " + "@skip(if: false) " * 60 + "} }", "MAX_DIRECTIVES_LIMIT"),
    ],
    ids=["aliases", "cost", "depth", "tokens", "directives"],
)
def test_operation_limits_apply(
    incidents: Server, admin: dict[str, str], query: str, code: str
) -> None:
    assert refusal(send(incidents, query, admin), 400)[0] == code


@pytest.mark.parametrize(
    "query",
    [
        SDL,
        "{ s: _service { sdl } }",
        "{ ...Sdl } fragment Sdl on Query { _service { sdl } }",
        "{ ... on Query { ... { e: _service { sdl } } } }",
        "{ __typename _service { sdl } }",
    ],
    ids=["plain", "aliased", "fragment", "inline-fragments", "beside-typename"],
)
@pytest.mark.parametrize("secret", [None, "wrong", SECRET[:-1]], ids=["none", "wrong", "prefix"])
def test_service_is_refused_without_the_router_secret(
    incidents: Server, admin: dict[str, str], query: str, secret: str | None
) -> None:
    headers = admin if secret is None else {**admin, HEADER: secret}

    code, message = refusal(send(incidents, query, headers), 403)

    assert code == "FORBIDDEN"
    assert "router" in message


def test_entities_are_refused_without_the_router_secret(
    incidents: Server, admin: dict[str, str]
) -> None:
    representations = [{"__typename": "Incident", "id": "00000000-0000-0000-0000-000000000000"}]

    response = send(incidents, ENTITIES, admin, r=representations)

    assert refusal(response, 403)[0] == "FORBIDDEN"


def test_the_router_secret_opens_entities_and_service(
    incidents: Server, admin: dict[str, str]
) -> None:
    router = {**admin, HEADER: SECRET}
    page = send(incidents, "{ incidents(pagination: {first: 3}) { edges { node { id } } } }", admin)
    ids = [edge["node"]["id"] for edge in page.json()["data"]["incidents"]["edges"]]

    sdl = send(incidents, SDL, router).json()
    entities = send(
        incidents, ENTITIES, router, r=[{"__typename": "Incident", "id": id_} for id_ in ids]
    ).json()

    assert 'type Incident implements Node @key(fields: "id")' in sdl["data"]["_service"]["sdl"]
    assert [entity["id"] for entity in entities["data"]["_entities"]] == ids


def test_typename_needs_no_secret(incidents: Server, admin: dict[str, str]) -> None:
    response = send(incidents, "{ __typename }", admin)

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """An `opsgraph` command expected to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", *args],
        env={**os.environ, **env, "OPSGRAPH_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_production_subgraph_without_a_secret_refuses_to_start(
    production_env: dict[str, str],
) -> None:
    env = {key: value for key, value in production_env.items() if key != "OPSGRAPH_SUBGRAPH_SECRET"}

    completed = run_cli(["subgraph", "identity", "--port", str(free_port())], env)

    assert completed.returncode == 2
    assert "OPSGRAPH_SUBGRAPH_SECRET must be set in production" in completed.stderr


@pytest.fixture(scope="module")
def split_config(
    production_env: dict[str, str], incidents: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A production identity subgraph beside `incidents`, and a subgraphs file for both."""
    port = free_port()
    identity = start_server(["subgraph", "identity", "--port", str(port)], production_env, port)
    path = tmp_path_factory.mktemp("split") / "subgraphs.toml"
    path.write_text(
        f'[subgraphs.identity]\nurl = "{identity.graphql}"\n'
        f'[subgraphs.incidents]\nurl = "{incidents.graphql}"\n'
    )
    yield path
    stop_server(identity)


def test_the_split_router_with_the_secret_serves_end_to_end(
    production_env: dict[str, str], split_config: Path, server: Server, admin: dict[str, str]
) -> None:
    port = free_port()
    router = start_server(["router", "--config", str(split_config)], production_env, port)
    try:
        response = httpx.post(router.graphql, json={"query": NESTED}, headers=admin, timeout=30)
    finally:
        stop_server(router)

    assert response.status_code == 200
    body = response.json()
    assert body.get("errors") is None
    assert len(body["data"]["incidents"]["edges"]) == 5
    # Users and teams come from identity through _entities, as `opsgraph serve` answers.
    assert body == httpx.post(server.graphql, json={"query": NESTED}, timeout=30).json()


@pytest.mark.parametrize("secret", [None, "a-different-secret-of-at-least-32-chars"])
def test_a_router_without_the_secret_cannot_compose(
    production_env: dict[str, str], split_config: Path, secret: str | None
) -> None:
    env = {key: value for key, value in production_env.items() if key != "OPSGRAPH_SUBGRAPH_SECRET"}
    if secret is not None:
        env["OPSGRAPH_SUBGRAPH_SECRET"] = secret

    completed = run_cli(["router", "--config", str(split_config)], env)

    assert completed.returncode == 1
    assert "refused { _service { sdl } } (HTTP 40" in completed.stderr
    assert "OPSGRAPH_SUBGRAPH_SECRET" in completed.stderr
