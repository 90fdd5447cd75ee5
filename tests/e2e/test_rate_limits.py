"""Rate limits count a mutation's root fields, against the real server process: thirty aliased
`createIncident` in one request are thirty requests, over HTTP and over WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import Server, issuer_of, seed_tenant, start_server, stop_server
from tests.e2e.ws import token, ws_client
from tests.support import free_port

BURST = 10
TENANT = "e2e-rate-limits"  # what it creates must not show in the shared e2e tenant


@pytest.fixture(scope="module")
def limited(
    server_env: dict[str, str], e2e_database_url: str
) -> Iterator[tuple[Server, dict[str, str]]]:
    seed_tenant(e2e_database_url, TENANT, scale=1)
    env = {
        **server_env,
        "OPSGRAPH_RATE_LIMIT_PER_SECOND": "1",
        "OPSGRAPH_RATE_LIMIT_BURST": str(BURST),
    }
    running = start_server(["serve"], env, free_port())
    yield running, env
    stop_server(running)


def aliased_creates(count: int, title: str) -> str:
    fields = " ".join(
        f'c{n}: createIncident(input: {{title: "{title} {n}"}}) {{ id }}' for n in range(count)
    )
    return f"mutation {{ {fields} }}"


def created(database_url: str, title: str) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(database_url)
        try:
            found = await connection.fetchval(
                "SELECT count(*) FROM incidents.incidents WHERE title LIKE $1", f"{title} %"
            )
        finally:
            await connection.close()
        return int(found)

    return asyncio.run(count())


def test_thirty_aliased_mutations_are_thirty_requests(
    limited: tuple[Server, dict[str, str]], e2e_database_url: str
) -> None:
    server, env = limited
    bearer = token(issuer_of(server, env), "operator", tenant=TENANT)
    headers = {"authorization": f"Bearer {bearer}"}
    response = httpx.post(
        server.graphql, json={"query": aliased_creates(30, "Aliased")}, headers=headers
    )
    assert response.status_code == 429
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) >= 1
    assert created(e2e_database_url, "Aliased") == 0  # nothing of it executed

    # Within the burst, the same shape goes through; each root field took its token.
    fits = httpx.post(server.graphql, json={"query": aliased_creates(3, "Fits")}, headers=headers)
    assert fits.status_code == 200 and "errors" not in fits.json(), fits.text
    assert created(e2e_database_url, "Fits") == 3


async def test_over_websocket_too(
    limited: tuple[Server, dict[str, str]], e2e_database_url: str
) -> None:
    server, env = limited
    bearer = token(issuer_of(server, env), "admin", tenant=TENANT)  # a bucket of its own
    async with ws_client(server.graphql, token=bearer) as client:
        await client.subscribe("m", aliased_creates(BURST + 1, "Socket"))
        refused = await client.receive()
    assert refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert await asyncio.to_thread(created, e2e_database_url, "Socket") == 0
