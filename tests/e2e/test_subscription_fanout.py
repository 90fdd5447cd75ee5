"""Many subscribers of one operation against the real server process, whose WebSocket
protocol takes each response's frame encoded once (opsgraph/websocket_server.py): every
subscriber gets every event once, in order, as its own principal may see it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from opsgraph.auth.issuer import DevIssuer
from resolvers.privacy import mask_email
from tests.e2e.conftest import Server, issuer_of
from tests.e2e.ws import Client, graphql, token, ws_client

WALLBOARD = """subscription {
  incidentEvents { id kind incident { id title assignee { name email } } }
}"""
CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id }
}"""
FIRST_USER = "{ users(pagination: {first: 1}) { edges { node { id email } } } }"
EVENTS = 6


@pytest.fixture(scope="module")
def issuer(server: Server, server_env: dict[str, str]) -> DevIssuer:
    return issuer_of(server, server_env)


async def received(
    client: Client, identifiers: list[str], incidents: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """The events about ``incidents`` of each of the connection's subscriptions, as many as
    were created. The server is shared: an earlier test's change, relayed late on a loaded
    machine, may reach the subscriptions too; it is passed over."""
    events: dict[str, list[dict[str, Any]]] = {identifier: [] for identifier in identifiers}
    while sum(map(len, events.values())) < EVENTS * len(identifiers):
        message = await client.receive()
        assert message["type"] == "next", message
        event = message["payload"]["data"]["incidentEvents"]
        if event["incident"]["id"] in incidents:
            events[message["id"]].append(event)
    return events


async def nothing_more_about(client: Client, incidents: set[str]) -> None:
    """No further event about ``incidents`` (a repeat) reaches the connection."""
    with contextlib.suppress(TimeoutError):
        while True:
            message = await client.receive(timeout=0.2)
            event = message["payload"]["data"]["incidentEvents"]
            assert event["incident"]["id"] not in incidents, message


async def test_every_subscriber_gets_every_event_once_in_order_as_it_may_see_it(
    server: Server, issuer: DevIssuer
) -> None:
    operator, viewer = token(issuer, "operator"), token(issuer, "viewer")  # pii:view or not
    user = (await graphql(server.graphql, FIRST_USER, operator))["users"]["edges"][0]["node"]
    async with contextlib.AsyncExitStack() as stack:
        seeing = [await stack.enter_async_context(ws_client(server.graphql, token=operator))]
        masked = [await stack.enter_async_context(ws_client(server.graphql, token=viewer))]
        for _ in range(4):
            seeing.append(
                await stack.enter_async_context(ws_client(server.graphql, token=operator))
            )
            masked.append(await stack.enter_async_context(ws_client(server.graphql, token=viewer)))
        # Two connections hold a second subscription of the same operation, under another id.
        subscriptions = {client: ["1"] for client in seeing + masked}
        subscriptions[seeing[0]].append("second")
        subscriptions[masked[0]].append("second")
        for client, identifiers in subscriptions.items():
            for identifier in identifiers:
                await client.subscribe(identifier, WALLBOARD)
        await asyncio.sleep(0.5)  # every subscription is live before the first change

        created = []
        for n in range(EVENTS):
            variables = {"input": {"title": f"Fan-out {n}", "assigneeId": user["id"]}}
            created.append(await graphql(server.graphql, CREATE, operator, **variables))
        ours = {data["createIncident"]["id"] for data in created}
        # Read connection by connection: the others' messages wait in their sockets.
        answers = {
            client: await received(client, ids, ours) for client, ids in subscriptions.items()
        }
        for client in answers:  # and nothing more came
            await nothing_more_about(client, ours)

    expected = [data["createIncident"]["id"] for data in created]
    for client, by_subscription in answers.items():
        email = user["email"] if client in seeing else mask_email(user["email"])
        for events in by_subscription.values():
            assert [event["incident"]["id"] for event in events] == expected
            positions = [int(event["id"]) for event in events]
            assert positions == sorted(set(positions))
            assert {event["incident"]["assignee"]["email"] for event in events} == {email}
