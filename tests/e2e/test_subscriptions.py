"""Subscriptions over graphql-transport-ws against the real server process: delivery with
fields from both subgraphs, filters, tenant and permission walls, resume after a forced
disconnect, and the protocol's close codes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of, seed_tenant, start_server, stop_server
from tests.e2e.ws import graphql, token, ws_client
from tests.support import free_port

EVENTS = """subscription($filter: IncidentFilter, $after: String) {
  incidentEvents(filter: $filter, after: $after) {
    id kind changedFields
    incident { id number title priority status assignee { name } team { name } }
  }
}"""
CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { id }
}"""
TRANSITION = """mutation($id: ID!, $input: TransitionIncidentInput!) {
  transitionIncident(id: $id, input: $input) { toStatus }
}"""
COMMENT = """mutation($id: ID!) {
  addComment(incidentId: $id, input: {body: "Looking into it"}) { id }
}"""
FIRST_USER_AND_TEAM = """{
  users(pagination: {first: 1}) { edges { node { id name } } }
  teams(pagination: {first: 1}) { edges { node { id name } } }
}"""


@pytest.fixture(scope="module")
def issuer(server: Server, server_env: dict[str, str]) -> DevIssuer:
    return issuer_of(server, server_env)


@pytest.fixture(scope="module")
def operator(issuer: DevIssuer) -> str:
    return token(issuer, "operator")


async def create(server: Server, operator: str, title: str, **fields: Any) -> dict[str, Any]:
    data = await graphql(server.graphql, CREATE, operator, input={"title": title, **fields})
    return data["createIncident"]  # type: ignore[no-any-return]


async def event_of(client: Any, subscription: str, incident_id: str) -> dict[str, Any]:
    """The next event about ``incident_id``: the server is shared, and an earlier test's
    change may reach this subscription first when its event is relayed late (a loaded CI)."""
    while True:
        event: dict[str, Any] = (await client.next_payload(subscription))["data"]["incidentEvents"]
        if event["incident"]["id"] == incident_id:
            return event


async def test_events_carry_fields_of_both_subgraphs(server: Server, operator: str) -> None:
    people = await graphql(server.graphql, FIRST_USER_AND_TEAM, operator)
    user = people["users"]["edges"][0]["node"]
    team = people["teams"]["edges"][0]["node"]
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("1", EVENTS)
        await asyncio.sleep(0.3)  # the subscription is live before the change commits
        created = await create(
            server, operator, "Core switch down", assigneeId=user["id"], teamId=team["id"]
        )
        event = await event_of(client, "1", created["id"])
        assert event["kind"] == "CREATED"
        assert event["incident"]["assignee"] == {"name": user["name"]}
        assert event["incident"]["team"] == {"name": team["name"]}

        await graphql(
            server.graphql, TRANSITION, operator, id=created["id"], input={"status": "IN_PROGRESS"}
        )
        changed = await event_of(client, "1", created["id"])
        assert changed["kind"] == "STATUS_CHANGED"
        assert "status" in changed["changedFields"]
        assert changed["incident"]["status"] == "IN_PROGRESS"
        assert int(changed["id"]) > int(event["id"])

        await graphql(server.graphql, COMMENT, operator, id=created["id"])
        commented = await event_of(client, "1", created["id"])
        assert commented["kind"] == "COMMENTED"


async def test_the_legacy_protocol_delivers_too(server: Server, operator: str) -> None:
    async with ws_client(server.graphql, token=operator, subprotocols=["graphql-ws"]) as client:
        assert client.connection.subprotocol == "graphql-ws"
        payload = {"query": "subscription { newIncident { title team { name } } }"}
        await client.send({"id": "old", "type": "start", "payload": payload})
        await asyncio.sleep(0.3)
        await create(server, operator, "Seen by an old client")
        message = await client.receive()
        assert message["type"] == "data" and message["id"] == "old"
        assert message["payload"]["data"]["newIncident"]["title"] == "Seen by an old client"
        await client.send({"id": "old", "type": "stop"})
        await client.send({"type": "connection_terminate"})
        assert (await client.closed_with())[0] == 1000


async def test_filters_choose_the_incidents(server: Server, operator: str) -> None:
    query = "subscription { newIncident(filter: {priority: [CRITICAL]}) { title priority } }"
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("p1", query)
        await asyncio.sleep(0.3)
        await create(server, operator, "Printer jam", impact="LOW", urgency="LOW")
        await create(server, operator, "Datacenter on fire", impact="HIGH", urgency="HIGH")
        first = (await client.next_payload("p1"))["data"]["newIncident"]
        assert first == {"title": "Datacenter on fire", "priority": "CRITICAL"}


async def test_incident_updated_follows_one_incident(server: Server, operator: str) -> None:
    other = await create(server, operator, "Other")
    mine = await create(server, operator, "Mine")
    query = "subscription($id: ID!) { incidentUpdated(id: $id) { id title } }"
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("u", query, {"id": mine["id"]})
        await asyncio.sleep(0.3)
        await graphql(server.graphql, UPDATE, operator, id=other["id"], input={"title": "x"})
        await graphql(server.graphql, UPDATE, operator, id=mine["id"], input={"title": "Mine!"})
        assert (await client.next_payload("u"))["data"]["incidentUpdated"] == {
            "id": mine["id"],
            "title": "Mine!",
        }
        await client.subscribe("missing", query, {"id": "00000000-0000-0000-0000-000000000000"})
        assert await client.refusal("missing") == "NOT_FOUND"


async def test_tenants_never_see_each_other(
    server: Server, server_env: dict[str, str], issuer: DevIssuer, operator: str
) -> None:
    await asyncio.to_thread(seed_tenant, server_env["DATABASE_URL"], "other-wall", 0)
    other = token(issuer, "operator", tenant="other-wall")
    query = "subscription { newIncident { title } }"
    async with ws_client(server.graphql, token=other) as theirs:
        await theirs.subscribe("t", query)
        await asyncio.sleep(0.3)
        await create(server, operator, "Only for e2e")
        await create(server, other, "Only for other-wall")
        # Their first event is their own incident: ours never reached them.
        assert (await theirs.next_payload("t"))["data"]["newIncident"] == {
            "title": "Only for other-wall"
        }


async def test_permission_is_required(server: Server, issuer: DevIssuer) -> None:
    nobody = token(issuer)  # authenticated, no roles
    async with ws_client(server.graphql, token=nobody) as client:
        await client.subscribe("x", EVENTS)
        assert await client.refusal("x") == "FORBIDDEN"


async def test_resume_after_a_forced_disconnect(server: Server, operator: str) -> None:
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("1", EVENTS)
        await asyncio.sleep(0.3)
        await create(server, operator, "Before the cut")
        last = (await client.next_payload("1"))["data"]["incidentEvents"]["id"]
        client.connection.transport.abort()  # a dropped network, no close handshake
    missed = [await create(server, operator, f"Missed {n}") for n in range(3)]
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("1", EVENTS, {"after": last})
        replayed = [(await client.next_payload("1"))["data"]["incidentEvents"] for _ in missed]
        assert [e["incident"]["id"] for e in replayed] == [m["id"] for m in missed]
        live = await create(server, operator, "Live again")
        event = (await client.next_payload("1"))["data"]["incidentEvents"]
        assert event["incident"]["id"] == live["id"]  # no repeat of the replayed ones
        ids = [int(e["id"]) for e in [*replayed, event]]
        assert ids == sorted(set(ids))


async def test_bad_resume_positions(server: Server, operator: str) -> None:
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("a", EVENTS, {"after": "not-an-id"})
        assert await client.refusal("a") == "BAD_USER_INPUT"
        await client.subscribe("b", EVENTS, {"after": "999999999999"})
        assert await client.refusal("b") == "BAD_USER_INPUT"
        await client.subscribe("c", EVENTS, {"after": "❶"})  # a digit to str.isdigit, not int
        assert await client.refusal("c") == "BAD_USER_INPUT"


async def test_queries_and_mutations_run_over_the_socket(server: Server, operator: str) -> None:
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("q", "{ incidents(pagination: {first: 1}) { totalCount } }")
        assert (await client.next_payload("q"))["data"]["incidents"]["totalCount"] > 0
        assert (await client.receive())["type"] == "complete"
        await client.subscribe("bad", "{ nope }")
        error = await client.receive()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# ---- the protocol's close codes -------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(server_env: dict[str, str]) -> Iterator[Server]:
    """A server with small WebSocket limits, so that each limit is quick to reach."""
    env = {
        **server_env,
        "OPSGRAPH_WS_INIT_TIMEOUT_SECONDS": "1",
        "OPSGRAPH_WS_MAX_SUBSCRIPTIONS": "2",
        "OPSGRAPH_WS_MAX_CONNECTIONS_PER_PRINCIPAL": "2",
        "OPSGRAPH_CORS_ORIGINS": "https://noc.example",
        "OPSGRAPH_ANONYMOUS_ROLE": "none",
    }
    running = start_server(["serve"], env, free_port())
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def strict_issuer(strict_server: Server, server_env: dict[str, str]) -> DevIssuer:
    return issuer_of(strict_server, server_env)


async def test_close_codes(strict_server: Server, strict_issuer: DevIssuer) -> None:
    url = strict_server.graphql
    operator = token(strict_issuer, "operator")
    subscription = "subscription { newIncident { id } }"

    async with ws_client(url, init=False) as client:
        await client.connection.send("{not json")
        assert (await client.closed_with())[0] == 4400
    async with ws_client(url, init=False) as client:
        await client.subscribe("1", subscription)
        assert (await client.closed_with())[0] == 4401
    async with ws_client(url, init=False) as client:
        await client.send({"type": "connection_init", "payload": {"authorization": "Bearer x"}})
        assert (await client.closed_with())[0] == 4403
    async with ws_client(url, init=False) as client:  # no token, no anonymous access
        await client.send({"type": "connection_init"})
        assert (await client.closed_with())[0] == 4403
    async with ws_client(url, init=False, subprotocols=["graphql-sse"]) as client:
        assert (await client.closed_with())[0] == 4406
    async with ws_client(url, init=False, subprotocols=["graphql-ws"]) as legacy:
        await legacy.send({"id": "1", "type": "start", "payload": {"query": subscription}})
        assert (await legacy.closed_with())[0] == 4401
    async with ws_client(url, init=False) as client:
        assert (await client.closed_with())[0] == 4408
    async with ws_client(url, token=operator) as client:
        await client.subscribe("1", subscription)
        await client.subscribe("1", subscription)
        assert (await client.closed_with())[0] == 4409
    async with ws_client(url, token=operator) as client:
        await client.send({"type": "connection_init"})
        assert (await client.closed_with())[0] == 4429
    async with ws_client(url, token=operator) as client:
        for identifier in "abc":
            await client.subscribe(identifier, subscription)
        code, reason = await client.closed_with()
        assert code == 4429 and "subscriptions" in reason
    async with (
        ws_client(url, token=operator),
        ws_client(url, token=operator),
        ws_client(url, init=False) as third,
    ):
        await third.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {operator}"}}
        )
        code, reason = await third.closed_with()
        assert code == 4429 and "connections" in reason


async def test_origins_outside_the_allow_list_are_refused(
    strict_server: Server, strict_issuer: DevIssuer
) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        async with ws_client(strict_server.graphql, init=False, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    operator = token(strict_issuer, "operator")
    async with ws_client(strict_server.graphql, token=operator, origin="https://noc.example"):
        pass


async def test_expired_credentials_close_the_connection(
    strict_server: Server, strict_issuer: DevIssuer
) -> None:
    short = token(strict_issuer, "operator", ttl=2)
    async with ws_client(strict_server.graphql, token=short) as client:
        assert (await client.closed_with(timeout=10))[0] == 4403


COMMENTED = """subscription($id: ID!) {
  incidentUpdated(id: $id) { id comments { body visibility } }
}"""
NOTE = """mutation($id: ID!, $body: String!, $visibility: CommentVisibility!) {
  addComment(incidentId: $id, input: {body: $body, visibility: $visibility}) { id }
}"""


async def test_work_notes_reach_only_subscribers_who_may_read_them(
    server: Server, operator: str, issuer: DevIssuer
) -> None:
    viewer = token(issuer, "viewer")
    created = await create(server, operator, "Noisy fan")
    async with (
        ws_client(server.graphql, token=viewer) as viewing,
        ws_client(server.graphql, token=operator) as operating,
    ):
        for client in (viewing, operating):
            await client.subscribe("1", COMMENTED, {"id": created["id"]})
        await asyncio.sleep(0.3)  # the subscriptions are live before the changes commit
        await graphql(
            server.graphql,
            NOTE,
            operator,
            id=created["id"],
            body="Internal",
            visibility="WORK_NOTE",
        )
        await graphql(
            server.graphql, NOTE, operator, id=created["id"], body="Hello", visibility="PUBLIC"
        )
        seen: dict[str, list[Any]] = {}
        for name, client in (("viewer", viewing), ("operator", operating)):
            for _ in range(2):
                payload = await client.next_payload("1")
                seen[name] = payload["data"]["incidentUpdated"]["comments"]
    assert seen["viewer"] == [{"body": "Hello", "visibility": "PUBLIC"}]
    assert seen["operator"] == [
        {"body": "Internal", "visibility": "WORK_NOTE"},
        {"body": "Hello", "visibility": "PUBLIC"},
    ]
