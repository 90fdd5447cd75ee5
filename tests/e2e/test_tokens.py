"""`opsgraph token` mints a development token that the running server accepts; a token
stops working once its user is deactivated, and no token may live longer than the maximum."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import httpx

from tests.e2e.conftest import Server, issuer_of, mint_token
from tests.e2e.ws import graphql, ws_client

CREATE_USER = (
    'mutation($email: String!) { createUser(input: {name: "Leaver", email: $email, '
    'roles: ["operator"]}) { id } }'
)
SET_ACTIVE = (
    "mutation($id: ID!, $active: Boolean!) "
    "{ updateUser(id: $id, input: {active: $active}) { active } }"
)
COUNT = "{ incidents { totalCount } }"


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


def user_token(server: Server, server_env: dict[str, str]) -> tuple[str, str]:
    """A new operator of the e2e tenant (created by the development anonymous admin) and a
    token whose subject is that user."""
    email = f"leaver-{uuid.uuid4().hex[:8]}@example.com"
    created = httpx.post(server.graphql, json={"query": CREATE_USER, "variables": {"email": email}})
    user = created.json()["data"]["createUser"]["id"]
    claims = {"sub": user, "tenant_id": "e2e", "roles": ["operator"]}
    return user, issuer_of(server, server_env).mint(claims, 600)


def set_active(server: Server, user: str, active: bool) -> None:
    body = httpx.post(
        server.graphql, json={"query": SET_ACTIVE, "variables": {"id": user, "active": active}}
    ).json()
    assert body == {"data": {"updateUser": {"active": active}}}, body


def ask(server: Server, token: str) -> httpx.Response:
    return httpx.post(
        server.graphql, json={"query": COUNT}, headers={"authorization": f"Bearer {token}"}
    )


async def test_a_deactivated_users_token_is_refused_on_http_and_websocket(
    server: Server, server_env: dict[str, str]
) -> None:
    user, token = user_token(server, server_env)
    assert ask(server, token).status_code == 200
    async with ws_client(server.graphql, token=token) as open_connection:
        await open_connection.subscribe("s1", "subscription { incidentEvents { id } }")
        # The subscription runs: a write of the user's own shows on it.
        await graphql(
            server.graphql, 'mutation { createIncident(input: {title: "Before"}) { id } }', token
        )
        assert (await open_connection.next_payload("s1"))["data"]["incidentEvents"]["id"]

        set_active(server, user, False)
        refused = ask(server, token)  # the very next request: no cache lifetime to wait for
        assert refused.status_code == 401
        assert refused.json()["errors"] == [
            {
                "message": "The token's user is deactivated",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
        assert await open_connection.closed_with() == (4403, "The token's user is deactivated")
    async with ws_client(server.graphql, init=False) as client:
        await client.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        assert await client.closed_with() == (4403, "The token's user is deactivated")

    set_active(server, user, True)
    assert ask(server, token).status_code == 200
    async with ws_client(server.graphql, token=token):
        pass  # acknowledged again


def test_a_token_longer_than_the_maximum_lifetime_is_refused(
    server: Server, server_env: dict[str, str]
) -> None:
    issuer = issuer_of(server, server_env)
    claims: dict[str, Any] = {"sub": "partner-sync", "tenant_id": "e2e", "roles": ["viewer"]}
    assert ask(server, issuer.mint(claims, 86400)).status_code == 200
    refused = ask(server, issuer.mint(claims, 86401))
    assert refused.status_code == 401
    assert refused.json()["errors"][0] == {
        "message": "Token lifetime (exp - iat) of 86401 s exceeds the maximum of 86400 s",
        "extensions": {"code": "UNAUTHENTICATED"},
    }


def test_cli_token_refuses_a_ttl_beyond_the_maximum(
    server: Server, server_env: dict[str, str]
) -> None:
    users = httpx.post(
        server.graphql,
        json={"query": "{ users(pagination: {first: 1}) { edges { node { email } } } }"},
    ).json()
    email = users["data"]["users"]["edges"][0]["node"]["email"]
    command = [sys.executable, "-m", "opsgraph.cli", "token", "--user", email, "--role", "viewer"]
    env = {**os.environ, **server_env}
    too_long = subprocess.run(
        [*command, "--ttl", "2d"], env=env, capture_output=True, text=True, timeout=60
    )
    assert too_long.returncode == 2
    assert too_long.stderr == (
        "opsgraph: --ttl 2d is longer than the server accepts "
        "(OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS=86400, i.e. 24 h)\n"
    )
    wallboard = subprocess.run(
        [*command, "--ttl", "12h"], env=env, capture_output=True, text=True, timeout=60
    )
    assert wallboard.returncode == 0, wallboard.stderr
