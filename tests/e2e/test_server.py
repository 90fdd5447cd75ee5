"""The real server process: the nested cross-subgraph query, HTTP semantics, GraphiQL,
health, and bad input answered with the right status and code, changing nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server

NESTED = """query($before: DateTime) {
  incidents(filter: {createdBefore: $before}, pagination: {first: 5}) {
    totalCount
    edges { node {
      number title status priority
      assignee { name email } team { name } reporter { name }
      comments { body author { name } }
    } }
  }
}"""


def post(server: Server, body: Any, **headers: str) -> httpx.Response:
    return httpx.post(server.graphql, json=body, headers=headers, timeout=30)


def assert_no_stack_trace(response: httpx.Response) -> None:
    assert "Traceback" not in response.text and "stacktrace" not in response.text
    assert not re.search(r'File ".*", line \d+', response.text)


def test_nested_query_crosses_subgraphs(server: Server, seeded_at: str) -> None:
    response = post(server, {"query": NESTED, "variables": {"before": seeded_at}})
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    connection = body["data"]["incidents"]
    assert connection["totalCount"] == 120
    nodes = [edge["node"] for edge in connection["edges"]]
    assert [n["number"] for n in nodes] == ["INC-120", "INC-119", "INC-118", "INC-117", "INC-116"]
    assert all(n["team"]["name"] and n["reporter"]["name"] for n in nodes)
    assert any(n["assignee"] and "@demo.example" in n["assignee"]["email"] for n in nodes)
    authors = [c["author"]["name"] for n in nodes for c in n["comments"]]
    assert authors and all(authors)


def test_get_runs_queries_but_not_mutations(server: Server) -> None:
    ok = httpx.get(server.graphql, params={"query": "{ teams { totalCount } }"})
    assert ok.status_code == 200 and ok.json() == {"data": {"teams": {"totalCount": 6}}}
    mutation = httpx.get(
        server.graphql, params={"query": 'mutation { createTeam(input: {name: "x"}) { id } }'}
    )
    assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"
    assert mutation.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_graphiql_is_served_without_a_cdn(server: Server) -> None:
    page = httpx.get(server.graphql, headers={"accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text
    assets = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)"', page.text)
    assert len(assets) >= 4
    for asset in assets:
        assert httpx.get(server.url + asset).status_code == 200, asset
    assert "https://" not in page.text and "http://" not in page.text


def test_health_and_readiness(server: Server) -> None:
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/ready").json() == {"status": "ready"}


@pytest.mark.parametrize(
    "content,status,code",
    [
        (b"{not json", 400, "BAD_REQUEST"),
        (b"[1, 2]", 400, "BAD_REQUEST"),
        (b'{"variables": {}}', 400, "BAD_REQUEST"),
        (b'{"query": 42}', 400, "BAD_REQUEST"),
        (b'{"query": "{ incidents { nope } }"}', 400, "GRAPHQL_VALIDATION_FAILED"),
        (b'{"query": "{ incidents { "}', 400, "GRAPHQL_PARSE_FAILED"),
        (
            b'{"query": "query($n: Int!) { incidents(pagination: {first: $n}) { totalCount } }",'
            b' "variables": {"n": "ten"}}',
            400,
            "BAD_USER_INPUT",
        ),
        (  # a required variable left out
            b'{"query": "query($n: Int!) { incidents(pagination: {first: $n}) { totalCount } }"}',
            400,
            "BAD_USER_INPUT",
        ),
        (
            b'{"query": "query($n: Int!) { teams { totalCount } }", "variables": {"n": 1}}',
            400,
            "GRAPHQL_VALIDATION_FAILED",
        ),  # declared but never used
        (
            b'{"query": "{ incidents(pagination: {first: 500}) { totalCount } }"}',
            200,
            "BAD_USER_INPUT",
        ),
    ],
)
def test_bad_requests(server: Server, content: bytes, status: int, code: str) -> None:
    response = httpx.post(
        server.graphql, content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert all(e["message"] for e in body["errors"])
    assert_no_stack_trace(response)


def total(server: Server) -> int:
    return int(
        post(server, {"query": "{ incidents { totalCount } }"}).json()["data"]["incidents"][
            "totalCount"
        ]
    )


@pytest.mark.parametrize(
    "input,code",
    [
        ({"title": ""}, "BAD_USER_INPUT"),
        ({"title": "t" * 201}, "BAD_USER_INPUT"),
        ({"title": "ok", "teamId": "robert'); DROP TABLE incidents;--"}, "BAD_USER_INPUT"),
    ],
)
def test_bad_mutation_input_changes_nothing(
    server: Server, input: dict[str, Any], code: str
) -> None:
    before = total(server)
    response = post(
        server,
        {
            "query": "mutation($i: CreateIncidentInput!) { createIncident(input: $i) { id } }",
            "variables": {"i": input},
        },
    )
    assert response.status_code == 200
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]
    assert response.json()["data"] is None
    assert_no_stack_trace(response)
    assert total(server) == before


def test_unknown_ids(server: Server) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    lookup = post(server, {"query": f'{{ incident(id: "{missing}") {{ id }} }}'})
    assert lookup.json() == {"data": {"incident": None}}
    update = post(
        server,
        {"query": f'mutation {{ assignIncident(id: "{missing}", userId: "{missing}") {{ id }} }}'},
    )
    assert update.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_unknown_tenant_is_unauthenticated(server: Server) -> None:
    response = post(
        server, {"query": "{ teams { totalCount } }"}, **{"X-OpsGraph-Tenant": "nobody"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_create_assign_and_read_back_across_subgraphs(server: Server) -> None:
    users = post(
        server, {"query": "{ users(pagination: {first: 1}) { edges { node { id name } } } }"}
    )
    user = users.json()["data"]["users"]["edges"][0]["node"]
    created = post(
        server,
        {
            "query": 'mutation { createIncident(input: {title: "E2E outage", '
            "impact: HIGH, urgency: HIGH}) { id number priority } }"
        },
    )
    incident = created.json()["data"]["createIncident"]
    assert incident["priority"] == "CRITICAL"
    assigned = post(
        server,
        {
            "query": "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) "
            "{ number assignee { name } } }",
            "variables": {"id": incident["id"], "u": user["id"]},
        },
    )
    assert assigned.json() == {
        "data": {
            "assignIncident": {"number": incident["number"], "assignee": {"name": user["name"]}}
        }
    }
