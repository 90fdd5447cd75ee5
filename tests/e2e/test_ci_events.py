"""`ciEvents` through the real server over graphql-transport-ws: CI changes delivered with
fields of two subgraphs (the CI's support team is identity's), filtered, resumable, and
behind the tenant wall."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of, seed_tenant
from tests.e2e.ws import graphql, token, ws_client

EVENTS = """subscription($filter: CiFilter, $after: String) {
  ciEvents(filter: $filter, after: $after) {
    id kind changedFields
    configurationItem { id name criticality ciClass { name } supportTeam { name } }
  }
}"""
CREATE = """mutation($input: CreateConfigurationItemInput!) {
  createConfigurationItem(input: $input) { id name }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateConfigurationItemInput!) {
  updateConfigurationItem(id: $id, input: $input) { id }
}"""
FIRST_TEAM = "{ teams(pagination: {first: 1}) { edges { node { id name } } } }"


@pytest.fixture(scope="module")
def issuer(server: Server, server_env: dict[str, str]) -> DevIssuer:
    return issuer_of(server, server_env)


@pytest.fixture(scope="module")
def operator(issuer: DevIssuer) -> str:
    return token(issuer, "operator")


async def create(server: Server, who: str, name: str, **fields: Any) -> dict[str, Any]:
    data = await graphql(
        server.graphql, CREATE, who, input={"className": "Server", "name": name, **fields}
    )
    return data["createConfigurationItem"]  # type: ignore[no-any-return]


async def event_of(client: Any, subscription: str, ci_id: str) -> dict[str, Any]:
    """The next event about `ci_id` (the server is shared with other tests)."""
    while True:
        event: dict[str, Any] = (await client.next_payload(subscription))["data"]["ciEvents"]
        if event["configurationItem"]["id"] == ci_id:
            return event


async def test_ci_events_carry_fields_of_both_subgraphs_and_resume(
    server: Server, operator: str
) -> None:
    team = (await graphql(server.graphql, FIRST_TEAM, operator))["teams"]["edges"][0]["node"]
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe("1", EVENTS, {"filter": {"className": ["Server"]}})
        await asyncio.sleep(0.3)  # the subscription is live before the change commits
        ci = await create(server, operator, "e2e-web-01", supportTeamId=team["id"])
        created = await event_of(client, "1", ci["id"])
        assert created["kind"] == "CREATED"
        assert created["configurationItem"]["supportTeam"] == {"name": team["name"]}
        assert created["configurationItem"]["ciClass"] == {"name": "Server"}
        client.connection.transport.abort()  # a dropped network
    await graphql(server.graphql, UPDATE, operator, id=ci["id"], input={"criticality": 1})
    async with ws_client(server.graphql, token=operator) as client:
        await client.subscribe(
            "1", EVENTS, {"filter": {"className": ["Server"]}, "after": created["id"]}
        )
        missed = await event_of(client, "1", ci["id"])
        assert missed["kind"] == "UPDATED" and missed["changedFields"] == ["criticality"]
        assert missed["configurationItem"]["criticality"] == 1


async def test_other_tenants_cis_never_show(
    server: Server, server_env: dict[str, str], issuer: DevIssuer, operator: str
) -> None:
    await asyncio.to_thread(seed_tenant, server_env["DATABASE_URL"], "other-cmdb", 0)
    other = token(issuer, "operator", tenant="other-cmdb")
    async with ws_client(server.graphql, token=other) as theirs:
        await theirs.subscribe("t", "subscription { ciEvents { configurationItem { name } } }")
        await asyncio.sleep(0.3)
        await create(server, operator, "e2e-only-ours")
        await create(server, other, "e2e-only-theirs")
        # Their own demo CIs' creations may still come first (the seed writes their events,
        # relayed as the subscription starts); ours never does.
        seen: list[str] = []
        while not seen or seen[-1] != "e2e-only-theirs":
            payload = await theirs.next_payload("t")
            seen.append(payload["data"]["ciEvents"]["configurationItem"]["name"])
        assert "e2e-only-ours" not in seen
