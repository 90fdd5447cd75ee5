"""The router prunes what a token's scopes do not allow, in the real server process: the
refused field is answered by the router itself (no subgraph named, nothing written)."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import Server, mint_token


def viewer_headers(server: Server, server_env: dict[str, str]) -> dict[str, str]:
    users = httpx.post(
        server.graphql,
        json={"query": '{ users(filter: {search: "demo.example"}) { edges { node { email } } } }'},
    ).json()
    email = users["data"]["users"]["edges"][0]["node"]["email"]
    minted = mint_token(server, server_env, email, "viewer")
    assert minted.returncode == 0, minted.stderr
    return {"authorization": f"Bearer {minted.stdout.strip()}"}


def incident_count(server: Server) -> int:
    body = httpx.post(server.graphql, json={"query": "{ incidents { totalCount } }"}).json()
    return int(body["data"]["incidents"]["totalCount"])


def test_viewer_mutation_is_refused_by_the_router(
    server: Server, server_env: dict[str, str]
) -> None:
    headers = viewer_headers(server, server_env)
    before = incident_count(server)

    response = httpx.post(
        server.graphql,
        headers=headers,
        json={"query": 'mutation { createIncident(input: {title: "pruned"}) { id } }'},
    )

    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "Missing permission incident:create for Mutation.createIncident",
                "path": ["createIncident"],
                "extensions": {"code": "FORBIDDEN", "requiredScopes": [["incident:create"]]},
            }
        ],
        "data": None,
    }
    assert incident_count(server) == before


def test_viewer_reads_still_resolve_across_subgraphs(
    server: Server, server_env: dict[str, str], seeded_at: str
) -> None:
    headers = viewer_headers(server, server_env)

    response = httpx.post(
        server.graphql,
        headers=headers,
        json={
            "query": "query($before: DateTime) { incidents(filter: {createdBefore: $before}, "
            "pagination: {first: 2}) { edges { node { number reporter { name } } } } "
            "teams { totalCount } }",
            "variables": {"before": seeded_at},
        },
    )

    body = response.json()
    assert "errors" not in body
    assert len(body["data"]["incidents"]["edges"]) == 2
    assert all(e["node"]["reporter"]["name"] for e in body["data"]["incidents"]["edges"])
    assert body["data"]["teams"]["totalCount"] > 0
