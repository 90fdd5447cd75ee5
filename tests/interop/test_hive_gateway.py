"""Hive Gateway, Apollo's gateway and `opsgraph router` in front of the same split subgraphs
answer alike: each gateway serves the supergraph file shipped for it, unmodified but for the
routing URLs (this test's subgraph processes instead of the split deployment's ports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from opsgraph import deployment
from opsgraph.artefacts import ROOT
from opsgraph.domains import REGISTRY
from tests.e2e.conftest import Server
from tests.e2e.test_server import NESTED
from tests.interop.conftest import ROUTER_SECRET, run_node

# The identity fields of an incident: User.email is String!, Team.email is String (one
# merged _entities document would not be valid GraphQL).
EMAILS = '{ incident(id: "%s") { number assignee { email } team { email } } }'
DETAIL = (
    '{ incident(id: "%s") { number title status priority assignee { name email phone } '
    "reporter { name email } team { name email description members { name email } } "
    "comments { body author { name email } } history { actor { name email } } } }"
)


def shipped(file: str, subgraphs: dict[str, Server]) -> str:
    """A shipped supergraph file with its routing URLs pointing at `subgraphs`."""
    text = (ROOT / "schema" / file).read_text()
    for name, server in subgraphs.items():
        text = text.replace(deployment.url(REGISTRY, name), server.graphql)
    return text


def ours(router: Server, query: str) -> dict[str, Any]:
    response = httpx.post(router.graphql, json={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def queries(remote_router: Server) -> list[str]:
    """The incidents list, and the detail of an incident with an assignee and a team."""
    found = ours(
        remote_router,
        "{ incidents(pagination: {first: 50}) "
        "{ edges { node { id assignee { id } team { id } } } } }",
    )
    staffed = [
        edge["node"]["id"]
        for edge in found["data"]["incidents"]["edges"]
        if edge["node"]["assignee"] and edge["node"]["team"]
    ]
    assert staffed, "the seeded tenant has an incident with an assignee and a team"
    return [NESTED, EMAILS % staffed[0], DETAIL % staffed[0]]


def test_hive_gateway_serves_the_shipped_supergraph_like_our_router(
    node_modules: Path,
    split_subgraphs: dict[str, Server],
    remote_router: Server,
    queries: list[str],
) -> None:
    supergraph = shipped("supergraph.graphql", split_subgraphs)

    through_hive = run_node(
        node_modules,
        "hive.cjs",
        {
            "supergraphSdl": supergraph,
            "queries": [{"query": query} for query in queries],
            "routerSecret": ROUTER_SECRET,
        },
    )

    for query, answer in zip(queries, through_hive, strict=True):
        expected = ours(remote_router, query)
        assert "errors" not in expected, expected
        assert answer == expected, query
    detail = through_hive[2]["data"]["incident"]
    assert detail["assignee"]["email"] and detail["team"]["name"]


def test_apollo_gateway_answers_the_incident_detail_like_our_router(
    node_modules: Path,
    split_subgraphs: dict[str, Server],
    remote_router: Server,
    queries: list[str],
) -> None:
    supergraph = shipped("supergraph.apollo-gateway.graphql", split_subgraphs)

    for query in queries[1:]:
        through_apollo = run_node(
            node_modules,
            "gateway.cjs",
            {"supergraphSdl": supergraph, "query": query, "routerSecret": ROUTER_SECRET},
        )

        assert through_apollo.get("errors") is None, through_apollo
        assert through_apollo == ours(remote_router, query)


def test_our_router_answers_the_incident_detail_like_the_in_process_server(
    remote_router: Server, in_process_server: Server, queries: list[str]
) -> None:
    for query in queries[1:]:
        assert ours(remote_router, query) == ours(in_process_server, query)
