"""`opsgraph token` mints a development token that the running server accepts."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.e2e.conftest import Server, mint_token


def test_cli_token_is_accepted_and_its_roles_apply(
    server: Server, server_env: dict[str, str]
) -> None:
    users = httpx.post(
        server.graphql,
        json={"query": '{ users(filter: {search: "demo.example"}) { edges { node { email } } } }'},
    ).json()
    email = users["data"]["users"]["edges"][0]["node"]["email"]
    minted = mint_token(server, server_env, email, "viewer")
    assert minted.returncode == 0, minted.stderr
    headers = {"authorization": f"Bearer {minted.stdout.strip()}"}
    seen = httpx.post(
        server.graphql,
        headers=headers,
        json={"query": "{ users(pagination: {first: 1}) { edges { node { email } } } }"},
    )
    assert "***@" in seen.json()["data"]["users"]["edges"][0]["node"]["email"]  # viewer: masked
    write = httpx.post(
        server.graphql,
        headers=headers,
        json={"query": 'mutation { createIncident(input: {title: "no"}) { id } }'},
    )
    assert write.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    forged = httpx.post(
        server.graphql,
        json={"query": "{ __typename }"},
        headers={"authorization": "Bearer " + minted.stdout.strip()[:-4] + "AAAA"},
    )
    assert forged.status_code == 401


def test_cli_token_refuses_unknown_users(server_env: dict[str, str]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "opsgraph.cli",
            "token",
            "--user",
            "nobody@nowhere",
            "--role",
            "admin",
        ],
        env={**os.environ, **server_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "no user nobody@nowhere" in result.stderr
