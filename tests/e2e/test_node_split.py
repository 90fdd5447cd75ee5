"""Relay's `node(id:)` and `nodes(ids:)` with the subgraphs split over processes (the router
over HTTP, each subgraph its own `opsgraph subgraph` process), against the demo data: every
entity type refetched with a field of its own subgraph and one of another, the same answers
as the in-process server; nulls in place for unknown ids and another tenant's; one
BAD_USER_INPUT for a malformed id."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from opsgraph.server import build_supergraph
from router.execution import HttpTransport
from router.gateway import Gateway
from tests.e2e.conftest import Server, issuer_of, seed_tenant
from tests.e2e.ws import graphql
from tests.node_queries import MISSING, NODE, NODES

OTHER_TENANT = "e2e-node-other"

IDS = """{
  users(pagination: {first: 1}) { edges { node { id } } }
  teams(pagination: {first: 1}) { edges { node { id } } }
  configurationItems(pagination: {first: 1}) { edges { node { id } } }
  incidents(pagination: {first: 50}) { edges { node { id team { id } } } }
  problems(pagination: {first: 1}) { edges { node { id } } }
}"""


class Caller:
    """A request without a token: the default (demo) tenant's developer principal."""

    headers: dict[str, str] = {}


@pytest.fixture(scope="module")
async def split(subgraph_servers: dict[str, Server]) -> AsyncIterator[Gateway]:
    """The router in HTTP mode over the subgraph processes."""
    async with httpx.AsyncClient() as client:
        transports = {
            name: HttpTransport(running.graphql, 10.0, client)
            for name, running in subgraph_servers.items()
        }
        yield Gateway(build_supergraph(), transports)


@pytest.fixture(scope="module")
async def ids(server: Server) -> dict[str, str]:
    """An entity of each type of the demo tenant (an incident with a team)."""
    data = await graphql(server.graphql, IDS)
    first = {name: data[name]["edges"][0]["node"]["id"] for name in data if name != "incidents"}
    incident = next(e["node"] for e in data["incidents"]["edges"] if e["node"]["team"])
    return {**first, "incidents": incident["id"]}


@pytest.fixture(scope="module")
def other_tenant(e2e_database_url: str) -> str:
    seed_tenant(e2e_database_url, OTHER_TENANT, scale=1)
    return OTHER_TENANT


@pytest.fixture(scope="module")
async def other_team(server: Server, server_env: dict[str, str], other_tenant: str) -> str:
    """A team of another tenant."""
    claims = {"sub": "node-other", "tenant_id": other_tenant, "roles": ["admin"]}
    token = issuer_of(server, server_env).mint(claims, 600)
    data = await graphql(server.graphql, "{ teams { edges { node { id } } } }", token)
    return str(data["teams"]["edges"][0]["node"]["id"])


async def both(
    split: Gateway, server: Server, query: str, **variables: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer of the split router and of the in-process server."""
    over_http = await split.execute(query, variables, None, Caller())
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(server.graphql, json={"query": query, "variables": variables})
    return over_http, response.json()


async def test_node_refetches_every_entity_type_split(
    split: Gateway, server: Server, ids: dict[str, str]
) -> None:
    expected = {
        "users": ("User", "name"),
        "teams": ("Team", "name"),
        "configurationItems": ("ConfigurationItem", "name"),
        "incidents": ("Incident", "number"),
        "problems": ("Problem", "number"),
    }
    for name, id in ids.items():
        over_http, in_process = await both(split, server, NODE, id=id)
        assert "errors" not in over_http, over_http
        assert over_http == in_process
        node = over_http["data"]["node"]
        typename, own = expected[name]
        assert (node["__typename"], node["id"]) == (typename, id)
        assert node[own]
    incident = (await split.execute(NODE, {"id": ids["incidents"]}, None, Caller()))["data"]
    assert incident["node"]["team"]["name"]  # from identity
    assert "problem" in incident["node"]  # contributed by problems
    ci = (await split.execute(NODE, {"id": ids["configurationItems"]}, None, Caller()))["data"]
    assert isinstance(ci["node"]["openIncidents"], list)  # contributed by incidents


async def test_nodes_keeps_nulls_in_place_split(
    split: Gateway, server: Server, ids: dict[str, str], other_team: str
) -> None:
    asked = [ids["incidents"], MISSING, other_team, ids["users"], str(uuid.uuid4())]
    asked += [ids["problems"], ids["configurationItems"], ids["teams"]]
    over_http, in_process = await both(split, server, NODES, ids=asked)
    assert "errors" not in over_http, over_http
    assert over_http == in_process
    found = over_http["data"]["nodes"]
    assert [node and node["__typename"] for node in found] == [
        "Incident",
        None,
        None,
        "User",
        None,
        "Problem",
        "ConfigurationItem",
        "Team",
    ]
    assert [node["id"] for node in found if node] == [
        ids["incidents"],
        ids["users"],
        ids["problems"],
        ids["configurationItems"],
        ids["teams"],
    ]
    assert found[0]["team"]["name"]


async def test_a_malformed_id_is_one_bad_user_input_split(split: Gateway) -> None:
    result = await split.execute(NODE, {"id": "INC-1"}, None, Caller())
    assert result["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]
    assert result["errors"][0]["path"] == ["node"]
