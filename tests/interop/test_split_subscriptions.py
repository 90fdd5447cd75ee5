"""Subscriptions in the split deployment: the stand-alone incidents subgraph streams over
graphql-transport-ws, multipart HTTP and server-sent events; `opsgraph router` and Hive
Gateway carry subscriptions from it to their clients, each event's identity fields fetched
from the identity subgraph, with the in-process server's resume, filter, permission and
tenant rules.

The processes run in development, where a request without a token acts as the anonymous
admin of the tenant it names (X-OpsGraph-Tenant, else the default): tokens name the process
that issued them, so one minted for a subgraph is used only where that subgraph alone
answers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from opsgraph import deployment
from opsgraph.artefacts import ROOT
from opsgraph.domains import REGISTRY
from opsgraph.router_secret import ROUTER_SECRET_HEADER
from router.http_streams.multipart import ACCEPT, boundary_of, parts
from tests.e2e.conftest import Server, issuer_of, seed_tenant, start_server, stop_server
from tests.e2e.ws import Client, token, ws_client
from tests.interop.conftest import ROUTER_SECRET, run_node
from tests.support import free_port

# The README's subscription, with the incident's id and the event's id for matching.
README_EVENTS = """subscription($after: String) {
  incidentEvents(filter: { priority: [CRITICAL, HIGH] }, after: $after) {
    id kind changedFields
    incident { id number title status assignee { name } team { name } }
  }
}"""
CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number }
}"""
FIRST_USER_AND_TEAM = """{
  users(pagination: {first: 1}) { edges { node { id name } } }
  teams(pagination: {first: 1}) { edges { node { id name } } }
}"""
SETTLE = 0.5  # seconds for a subscription to be live before the change commits


async def post(
    url: str, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            url, json={"query": query, "variables": variables}, headers=headers or {}
        )
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


async def create(url: str, title: str, headers: dict[str, str] | None = None, **fields: Any) -> str:
    data = await post(url, CREATE, headers, input={"title": title, **fields})
    return data["createIncident"]["id"]  # type: ignore[no-any-return]


async def event_about(client: Client, identifier: str, incident_id: str) -> dict[str, Any]:
    """The first event of subscription `identifier` about `incident_id`, skipping events
    other tests' changes caused."""
    while True:
        payload = await client.next_payload(identifier, timeout=20)
        assert not payload.get("errors"), payload
        event: dict[str, Any] = payload["data"]["incidentEvents"]
        if event["incident"]["id"] == incident_id:
            return event


async def test_the_router_delivers_the_readme_subscription_like_the_in_process_server(
    remote_router: Server, in_process_server: Server
) -> None:
    people = await post(remote_router.graphql, FIRST_USER_AND_TEAM)
    user = people["users"]["edges"][0]["node"]
    team = people["teams"]["edges"][0]["node"]
    async with (
        ws_client(remote_router.graphql) as split,
        ws_client(in_process_server.graphql) as together,
    ):
        await split.subscribe("readme", README_EVENTS)
        await together.subscribe("readme", README_EVENTS)
        await asyncio.sleep(SETTLE)
        unmatched = await create(
            remote_router.graphql, "Printer jam (split)", impact="LOW", urgency="LOW"
        )
        # The split subgraphs run without --peers (they cannot check references), so the
        # assigned incident is written through the in-process server, over the same database.
        matched = await create(
            in_process_server.graphql,
            "Core switch down (split)",
            impact="HIGH",
            urgency="HIGH",
            assigneeId=user["id"],
            teamId=team["id"],
        )
        over_split = await event_about(split, "readme", matched)
        in_process = await event_about(together, "readme", matched)

    assert over_split == in_process
    assert over_split["kind"] == "CREATED"
    assert over_split["incident"]["assignee"] == {"name": user["name"]}
    assert over_split["incident"]["team"] == {"name": team["name"]}
    assert unmatched != matched


async def test_the_graphql_ws_client_receives_events_through_the_router(
    remote_router: Server, node_modules: Path
) -> None:
    title = f"graphql-ws through the router {uuid.uuid4().hex[:8]}"
    result = run_node(
        node_modules,
        "subscribe.cjs",
        {
            "url": remote_router.graphql.replace("http://", "ws://"),
            "subscription": README_EVENTS,
            "mutation": CREATE,
            "variables": {"input": {"title": title, "impact": "HIGH", "urgency": "HIGH"}},
        },
    )

    event = result["event"]["incidentEvents"]
    assert event["kind"] == "CREATED"
    assert event["incident"]["title"] == title
    assert event["incident"]["assignee"] is None


async def test_resuming_through_the_router_replays_what_was_missed(remote_router: Server) -> None:
    async with ws_client(remote_router.graphql) as client:
        await client.subscribe("1", README_EVENTS)
        await asyncio.sleep(SETTLE)
        first = await create(remote_router.graphql, "Before the cut", impact="HIGH", urgency="HIGH")
        last = (await event_about(client, "1", first))["id"]
        client.connection.transport.abort()
    missed = [
        await create(remote_router.graphql, f"Missed {n}", impact="HIGH", urgency="HIGH")
        for n in range(2)
    ]
    async with ws_client(remote_router.graphql) as client:
        await client.subscribe("1", README_EVENTS, {"after": last})
        replayed = [await event_about(client, "1", incident) for incident in missed]

    ids = [int(event["id"]) for event in replayed]
    assert ids == sorted(set(ids)) and ids[0] > int(last)
    assert [event["incident"]["title"] for event in replayed] == ["Missed 0", "Missed 1"]


async def test_a_bad_resume_position_is_the_subgraphs_bad_user_input(
    remote_router: Server,
) -> None:
    async with ws_client(remote_router.graphql) as client:
        await client.subscribe("a", README_EVENTS, {"after": "not-an-id"})
        assert await client.refusal("a") == "BAD_USER_INPUT"


async def test_tenants_never_see_each_other_through_the_router(
    remote_router: Server, interop_env: dict[str, str]
) -> None:
    await asyncio.to_thread(seed_tenant, interop_env["DATABASE_URL"], "interop-wall", 0)
    theirs = {"x-opsgraph-tenant": "interop-wall"}
    query = "subscription { newIncident { title } }"
    async with ws_client(remote_router.graphql, init=False) as client:
        acknowledged = await client.init({"headers": theirs})
        assert acknowledged["type"] == "connection_ack"
        await client.subscribe("t", query)
        await asyncio.sleep(SETTLE)
        await create(remote_router.graphql, "Only for interop")
        await create(remote_router.graphql, "Only for interop-wall", theirs)
        # Their first event is their own incident: ours never reached them.
        assert (await client.next_payload("t"))["data"]["newIncident"] == {
            "title": "Only for interop-wall"
        }


async def test_permission_is_checked_by_the_subgraph_for_the_routers_caller(
    remote_router: Server, split_subgraphs: dict[str, Server], interop_env: dict[str, str]
) -> None:
    incidents = split_subgraphs["incidents"]
    nobody = token(issuer_of(incidents, interop_env), tenant="interop")  # no roles
    query = "subscription { newIncident { title } }"
    async with ws_client(remote_router.graphql, token=nobody) as client:
        await client.subscribe("x", query)
        assert await client.refusal("x") == "FORBIDDEN"
    async with ws_client(incidents.graphql, token=nobody) as client:
        await client.subscribe("x", query)
        assert await client.refusal("x") == "FORBIDDEN"


async def test_the_subgraph_streams_over_its_own_websocket(
    split_subgraphs: dict[str, Server], interop_env: dict[str, str]
) -> None:
    incidents = split_subgraphs["incidents"]
    operator = token(issuer_of(incidents, interop_env), "operator", tenant="interop")
    query = "subscription { newIncident(filter: {priority: [CRITICAL]}) { title priority } }"
    authorization = {"authorization": f"Bearer {operator}"}
    async with ws_client(incidents.graphql, token=operator) as client:
        await client.subscribe("c", query)
        await asyncio.sleep(SETTLE)
        await create(incidents.graphql, "Lamp flickers", authorization, impact="LOW", urgency="LOW")
        await create(incidents.graphql, "Fire", authorization, impact="HIGH", urgency="HIGH")
        assert (await client.next_payload("c"))["data"]["newIncident"] == {
            "title": "Fire",
            "priority": "CRITICAL",
        }


async def test_the_subgraph_streams_multipart_to_the_router_secret_and_caller(
    split_subgraphs: dict[str, Server],
) -> None:
    incidents = split_subgraphs["incidents"]
    query = "subscription { newIncident { title team { __typename id } } }"
    headers = {ROUTER_SECRET_HEADER: ROUTER_SECRET, "accept": ACCEPT}
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("POST", incidents.graphql, json={"query": query}, headers=headers) as response,
    ):
        assert response.status_code == 200
        boundary = boundary_of(response.headers["content-type"])
        assert boundary == "graphql"
        assert 'subscriptionSpec="1.0"' in response.headers["content-type"]
        messages = parts(response.aiter_bytes(), boundary)
        assert await anext(messages) == {}  # the stream opens with a heartbeat
        await create(incidents.graphql, "Sent as parts")
        message = await anext(messages)
        while message == {}:
            message = await anext(messages)

    assert message == {
        "payload": {"data": {"newIncident": {"title": "Sent as parts", "team": None}}}
    }


async def test_a_subscription_over_plain_http_is_refused_clearly(
    split_subgraphs: dict[str, Server],
) -> None:
    response = httpx.post(
        split_subgraphs["incidents"].graphql,
        json={"query": "subscription { newIncident { title } }"},
        timeout=30,
    )

    assert response.status_code == 406
    error = orjson.loads(response.content)["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert 'multipart/mixed;subscriptionSpec="1.0"' in error["message"]
    assert "text/event-stream" in error["message"]
    assert "graphql-transport-ws" in error["message"]


@pytest.mark.parametrize("protocol", ["http", "ws"])
async def test_hive_gateway_delivers_the_readme_subscription_from_the_split_subgraphs(
    split_subgraphs: dict[str, Server],
    in_process_server: Server,
    node_modules: Path,
    protocol: str,
) -> None:
    """Over its HTTP transport (server-sent events), and over WebSocket when configured."""
    shipped = (ROOT / "schema" / "supergraph.graphql").read_text()
    for name, server in split_subgraphs.items():
        shipped = shipped.replace(deployment.url(REGISTRY, name), server.graphql)
    people = await post(in_process_server.graphql, FIRST_USER_AND_TEAM)
    user = people["users"]["edges"][0]["node"]
    team = people["teams"]["edges"][0]["node"]
    title = f"Seen through Hive {uuid.uuid4().hex[:8]}"
    fields = {"impact": "HIGH", "urgency": "HIGH", "assigneeId": user["id"], "teamId": team["id"]}

    result = await asyncio.to_thread(
        run_node,
        node_modules,
        "hive_subscribe.cjs",
        {
            "supergraphSdl": shipped,
            "routerSecret": ROUTER_SECRET,
            "subgraphProtocol": protocol,
            "subscription": README_EVENTS,
            # Written where references are checked; the incidents subgraph sees the event.
            "mutationUrl": in_process_server.graphql,
            "mutation": CREATE,
            "variables": {"input": {"title": title, **fields}},
        },
    )

    event = result["event"]["incidentEvents"]
    assert event["kind"] == "CREATED"
    assert event["incident"]["id"] == result["created"]["createIncident"]["id"]
    assert event["incident"]["title"] == title
    assert event["incident"]["assignee"] == {"name": user["name"]}
    assert event["incident"]["team"] == {"name": team["name"]}


async def test_expired_credentials_end_the_subgraphs_multipart_stream(
    split_subgraphs: dict[str, Server], interop_env: dict[str, str]
) -> None:
    incidents = split_subgraphs["incidents"]
    short = token(issuer_of(incidents, interop_env), "operator", tenant="interop", ttl=2)
    headers = {"authorization": f"Bearer {short}", "accept": ACCEPT}
    query = "subscription { newIncident { title } }"
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("POST", incidents.graphql, json={"query": query}, headers=headers) as response,
    ):
        assert response.status_code == 200
        received = [message async for message in parts(response.aiter_bytes(), "graphql")]

    assert set(map(orjson.dumps, received[:-1])) == {b"{}"}  # heartbeats, then the end
    error = {"message": "Credentials expired", "extensions": {"code": "FORBIDDEN"}}
    assert received[-1] == {"payload": None, "errors": [error]}


async def test_a_principal_holds_a_bounded_number_of_streams(interop_env: dict[str, str]) -> None:
    port = free_port()
    env = {
        **interop_env,
        "OPSGRAPH_WS_MAX_SUBSCRIPTIONS": "1",
        "OPSGRAPH_WS_MAX_CONNECTIONS_PER_PRINCIPAL": "2",
    }
    incidents = await asyncio.to_thread(
        start_server, ["subgraph", "incidents", "--port", str(port)], env, port
    )
    query = {"query": "subscription { newIncident { title } }"}
    headers = {"accept": ACCEPT}
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            async with (
                http.stream("POST", incidents.graphql, json=query, headers=headers) as first,
                http.stream("POST", incidents.graphql, json=query, headers=headers) as second,
            ):
                assert (first.status_code, second.status_code) == (200, 200)
                third = await http.post(incidents.graphql, json=query, headers=headers)
                assert third.status_code == 429
                assert third.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
            # Ended streams no longer count (once the server has seen the clients go).
            statuses = []
            for _ in range(50):
                async with http.stream(
                    "POST", incidents.graphql, json=query, headers=headers
                ) as again:
                    statuses.append(again.status_code)
                if statuses[-1] != 429:
                    break
                await asyncio.sleep(0.1)
            assert statuses[-1] == 200, statuses
    finally:
        await asyncio.to_thread(stop_server, incidents)


async def test_queries_run_over_the_sockets_of_the_router_and_the_subgraph(
    remote_router: Server, split_subgraphs: dict[str, Server]
) -> None:
    query = "{ incidents(pagination: {first: 1}) { totalCount } }"
    for server in (remote_router, split_subgraphs["incidents"]):
        async with ws_client(server.graphql) as client:
            await client.subscribe("q", query)
            answer = await client.next_payload("q")
            assert answer["data"]["incidents"]["totalCount"] > 0, answer
            assert await client.receive() == {"id": "q", "type": "complete"}
            await client.subscribe("bad", "{ incidents { nope } }")
            refused = await client.receive()
            assert refused["type"] == "error", refused
            assert refused["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
