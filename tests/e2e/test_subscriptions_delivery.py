"""Delivery under stress, against real server processes: two routers fanning out through one
Redis, Redis stopped while a mutation commits and restarted under connected subscribers, and a
subscriber that stops reading being cut off with its close code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of, server_pair, start_server, stop_server
from tests.e2e.test_subscriptions import create
from tests.e2e.ws import graphql, token, ws_client
from tests.support import RedisServer, free_port

NEW = "subscription { newIncident { id title } }"


@pytest.fixture
def two_routers(
    server_env: dict[str, str], private_redis: RedisServer
) -> Iterator[tuple[Server, Server]]:
    with server_pair({**server_env, "REDIS_URL": private_redis.url}) as servers:
        yield servers


async def next_title(client: Any, identifier: str = "n") -> str:
    return (await client.next_payload(identifier))["data"]["newIncident"]["title"]  # type: ignore[no-any-return]


@pytest.mark.redis
async def test_two_routers_fan_out_and_survive_redis_restarts(
    two_routers: tuple[Server, Server], server_env: dict[str, str], private_redis: RedisServer
) -> None:
    first, second = two_routers
    tokens = {s: token(issuer_of(s, server_env), "operator") for s in (first, second)}
    async with (
        ws_client(first.graphql, token=tokens[first]) as on_first,
        ws_client(second.graphql, token=tokens[second]) as on_second,
    ):
        await on_first.subscribe("n", NEW)
        await on_second.subscribe("n", NEW)
        await asyncio.sleep(0.5)

        await create(second, tokens[second], "Through the second router")
        assert await next_title(on_first) == "Through the second router"
        assert await next_title(on_second) == "Through the second router"

        private_redis.stop()
        # Redis is down: the mutation still commits; its event waits in the outbox.
        await create(second, tokens[second], "While Redis was down")
        private_redis.start()
        assert (
            await next_title(
                on_first,
            )
            == "While Redis was down"
        )
        assert await next_title(on_second) == "While Redis was down"

        # Restarted under connected subscribers: they keep receiving, across routers.
        await create(first, tokens[first], "After the restart")
        assert await next_title(on_first) == "After the restart"
        assert await next_title(on_second) == "After the restart"


@pytest.fixture(scope="module")
def impatient_server(server_env: dict[str, str]) -> Iterator[Server]:
    env = {**server_env, "OPSGRAPH_WS_SEND_TIMEOUT_SECONDS": "1", "OPSGRAPH_WS_QUEUE_LIMIT": "4"}
    running = start_server(["serve"], env, free_port())
    yield running
    stop_server(running)


async def test_a_subscriber_that_stops_reading_is_cut_off(
    impatient_server: Server, server_env: dict[str, str]
) -> None:
    issuer: DevIssuer = issuer_of(impatient_server, server_env)
    operator = token(issuer, "operator")
    url = impatient_server.graphql
    big = await create(impatient_server, operator, "Large", description="x" * 20_000)
    # 30 copies of a 20 kB description: each event is about 600 kB on the wire.
    copies = " ".join(f"d{n}: description" for n in range(30))
    query = f"subscription($id: ID!) {{ incidentUpdated(id: $id) {{ {copies} }} }}"
    update = (
        "mutation($id: ID!, $t: String!) { updateIncident(id: $id, input: {title: $t}) { id } }"
    )
    # A client that reads nothing: the library takes one message, the socket a few kB.
    async with ws_client(url, token=operator, max_queue=1, max_size=2**24) as client:
        await client.subscribe("big", query, {"id": big["id"]})
        await asyncio.sleep(0.3)
        for n in range(40):
            await graphql(url, update, operator, id=big["id"], t=f"Large {n}")
        await asyncio.sleep(3)  # the server notices the blocked sends
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await client.connection.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert "too slow" in closed.value.rcvd.reason
