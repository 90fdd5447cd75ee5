"""Relay's `node(id:)` and `nodes(ids:)` through the router in-process: every entity type of
every subgraph refetched by its UUID, with fields of the owning subgraph and of others; nulls
for unknown ids, another tenant's and unreadable ones; BAD_USER_INPUT for a malformed id; a
bounded number of statements whatever the number of ids."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import parse

from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from router.gateway import Gateway
from router.planning import format_plan, plan, select_operation
from router.response_cache import policy_for
from tests.node_queries import MISSING, NODE, NODES
from tests.support import error_codes, ok_in_router, run_in_router

SEED = {
    "team": ('mutation { createTeam(input: {name: "NOC"}) { id } }', "createTeam"),
    "user": (
        'mutation { createUser(input: {name: "Ada", email: "ada@x.io"}) { id } }',
        "createUser",
    ),
    "ci": (
        'mutation { createConfigurationItem(input: {name: "db1", className: "Server"}) { id } }',
        "createConfigurationItem",
    ),
}


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


async def seed(gateway: Gateway, new_context: Any) -> dict[str, str]:
    """A team, a user in it, a CI, an incident on the CI for the team, a problem for the team."""
    ids: dict[str, str] = {}
    for name, (mutation, field) in SEED.items():
        ids[name] = (await ok_in_router(gateway, new_context(), mutation))[field]["id"]
    await ok_in_router(
        gateway,
        new_context(),
        "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
        t=ids["team"],
        u=ids["user"],
    )
    incident = await ok_in_router(
        gateway,
        new_context(),
        "mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }",
        input={"title": "Disk full", "teamId": ids["team"], "ciId": ids["ci"]},
    )
    ids["incident"] = incident["createIncident"]["id"]
    problem = await ok_in_router(
        gateway,
        new_context(),
        "mutation($input: CreateProblemInput!) { createProblem(input: $input) { id } }",
        input={"title": "Disks fill up", "teamId": ids["team"]},
    )
    ids["problem"] = problem["createProblem"]["id"]
    return ids


async def test_node_refetches_every_entity_type(gateway: Gateway, new_context: Any) -> None:
    ids = await seed(gateway, new_context)
    found = {
        name: (await ok_in_router(gateway, new_context(), NODE, id=id))["node"]
        for name, id in ids.items()
    }
    assert found["user"] == {
        "__typename": "User",
        "id": ids["user"],
        "name": "Ada",
        "teams": [{"name": "NOC"}],
    }
    assert found["team"] == {
        "__typename": "Team",
        "id": ids["team"],
        "name": "NOC",
        "members": [{"name": "Ada"}],
    }
    # openIncidents: contributed to the CMDB's item by the incidents subgraph.
    assert found["ci"] == {
        "__typename": "ConfigurationItem",
        "id": ids["ci"],
        "name": "db1",
        "openIncidents": [{"number": "INC-1"}],
    }
    # team from identity, problem contributed by the problems subgraph.
    assert found["incident"] == {
        "__typename": "Incident",
        "id": ids["incident"],
        "number": "INC-1",
        "team": {"name": "NOC"},
        "problem": None,
    }
    assert found["problem"] == {
        "__typename": "Problem",
        "id": ids["problem"],
        "number": "PRB-1",
        "title": "Disks fill up",
        "team": {"name": "NOC"},
    }


async def test_nodes_mixes_types_and_keeps_nulls_in_place(
    gateway: Gateway, new_context: Any, owner_sessions: Any
) -> None:
    ids = await seed(gateway, new_context)
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"n-{uuid.uuid4().hex[:8]}", "Other")
    theirs = await ok_in_router(gateway, new_context(other), SEED["team"][0])
    asked = [ids["incident"], MISSING, ids["user"], theirs["createTeam"]["id"], ids["problem"]]
    asked += [ids["ci"], ids["team"]]
    data = await ok_in_router(gateway, new_context(), NODES, ids=asked)
    assert data["nodes"] == [
        {
            "__typename": "Incident",
            "id": ids["incident"],
            "title": "Disk full",
            "team": {"name": "NOC"},
        },
        None,
        {"__typename": "User", "id": ids["user"], "name": "Ada"},
        None,
        {
            "__typename": "Problem",
            "id": ids["problem"],
            "title": "Disks fill up",
            "team": {"name": "NOC"},
        },
        {"__typename": "ConfigurationItem", "id": ids["ci"], "name": "db1"},
        {"__typename": "Team", "id": ids["team"], "name": "NOC"},
    ]
    # The other tenant sees its own team and none of ours.
    mine_and_theirs = [ids["team"], theirs["createTeam"]["id"]]
    seen = await ok_in_router(gateway, new_context(other), NODES, ids=mine_and_theirs)
    assert seen["nodes"] == [None, {"__typename": "Team", "id": mine_and_theirs[1], "name": "NOC"}]


async def test_node_is_null_for_a_type_the_caller_may_not_read(
    gateway: Gateway, new_context: Any, sessions: Any, tenant_id: uuid.UUID, entity_presence: Any
) -> None:
    ids = await seed(gateway, new_context)
    # A caller that may read incidents only: the team and the problem are null, not FORBIDDEN.
    reader = REGISTRY.roles.principal(
        tenant_id,
        frozenset({"incident-reader"}),
        authenticated=True,
        custom_roles={"incident-reader": frozenset({"incident:view"})},
    )
    assert not reader.can("identity:view") and not reader.can("problem:view")
    context = Context.open(sessions, principal=reader, entity_presence=entity_presence)
    result = await run_in_router(
        gateway,
        context,
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
        ids=[ids["incident"], ids["team"], ids["problem"]],
    )
    assert result == {
        "data": {"nodes": [{"__typename": "Incident", "id": ids["incident"]}, None, None]}
    }


async def test_a_malformed_id_is_bad_user_input_once(gateway: Gateway, new_context: Any) -> None:
    result = await run_in_router(gateway, new_context(), NODE, id="not-an-id")
    assert result["data"] == {"node": None}
    assert error_codes(result) == [("BAD_USER_INPUT", None)]
    assert result["errors"][0]["path"] == ["node"]
    many = await run_in_router(gateway, new_context(), NODES, ids=[MISSING, "INC-1"])
    assert many["data"] is None
    assert error_codes(many) == [("BAD_USER_INPUT", None)]


async def test_nodes_statements_are_bounded(
    gateway: Gateway, new_context: Any, statements: Any
) -> None:
    """100 ids (one of each type, the rest unknown) cost the same statements as 10."""
    ids = await seed(gateway, new_context)

    async def count(size: int) -> int:
        asked = list(ids.values()) + [str(uuid.uuid4()) for _ in range(size - len(ids))]
        statements.reset()
        data = await ok_in_router(gateway, new_context(), NODES, ids=asked)
        assert sum(node is not None for node in data["nodes"]) == len(ids)
        return int(statements.count)

    small, large = await count(10), await count(100)
    assert small == large
    # The tenant's set_config, then one read per entity type (User, Team,
    # ConfigurationItem, Incident, Problem) whatever the number of ids, all in one statement
    # (db/merged_reads.py); the teams of the incident and the problem come from the Team
    # loader, which read them already (the subgraphs run in-process share the request's
    # loaders).
    assert large == 1 + 1


def test_the_plan_asks_every_subgraph_resolving_node(gateway: Gateway) -> None:
    printed = format_plan(plan(gateway.supergraph, parse(NODES), None))
    for subgraph in ("identity", "cmdb", "incidents", "problems"):
        assert f'Fetch(service: "{subgraph}")' in printed
    assert 'Fetch(service: "webhooks")' not in printed


def test_node_answers_are_never_cached(gateway: Gateway) -> None:
    """The response cache stores no answer of node/nodes (a root field with no cache hint):
    no tenant or caller can be served another's (its keys hold both anyway)."""
    for query in (NODE, NODES):
        operation = select_operation(gateway.supergraph, parse(query), None)
        assert not policy_for(operation, REGISTRY.cache_hints).cacheable
