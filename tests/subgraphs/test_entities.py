"""`_service` and `_entities` on each subgraph, as a Federation 2 gateway calls them."""

from __future__ import annotations

import uuid
from typing import Any

from opsgraph.domains import REGISTRY
from resolvers.context import Context
from tests.support import Subgraph

IDENTITY_ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { id name } ... on Team { id name } } }"""
INCIDENT_ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Incident { id number title } } }"""
MISSING = "00000000-0000-4000-8000-000000000000"


async def test_service_sdl_is_federation_2(identity: Subgraph, incidents: Subgraph) -> None:
    for subgraph, entity in (
        (identity, "type User implements Node @key"),
        (incidents, "type Incident implements Node @key"),
    ):
        sdl = (await subgraph.ok("{ _service { sdl } }"))["_service"]["sdl"]
        assert 'schema @link(url: "https://specs.apollo.dev/federation/v2' in sdl
        assert entity in sdl
    incidents_sdl = (await incidents.ok("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type User implements Node @key(fields: "id", resolvable: false)' in incidents_sdl


async def test_identity_entities_keep_order_and_batch(
    identity: Subgraph, statements: object
) -> None:
    ada = await identity.ok('mutation { createUser(input: {name: "Ada", email: "a@x.io"}) { id } }')
    noc = await identity.ok('mutation { createTeam(input: {name: "NOC"}) { id } }')
    ada_id, noc_id = ada["createUser"]["id"], noc["createTeam"]["id"]
    statements.reset()  # type: ignore[attr-defined]
    data = await identity.ok(
        IDENTITY_ENTITIES,
        r=[
            {"__typename": "Team", "id": noc_id},
            {"__typename": "User", "id": MISSING},
            {"__typename": "User", "id": ada_id},
            {"__typename": "User", "id": "not-a-uuid"},
        ],
    )
    assert data["_entities"] == [
        {"id": noc_id, "name": "NOC"},
        None,
        {"id": ada_id, "name": "Ada"},
        None,
    ]
    # The tenant's set_config (row-level security: the first statement of the transaction;
    # BEGIN itself is not counted), then the teams and the users, read at once, in one
    # statement (db/merged_reads.py).
    assert statements.count == 2  # type: ignore[attr-defined]


async def test_incident_entities(incidents: Subgraph) -> None:
    created = await incidents.ok('mutation { createIncident(input: {title: "Down"}) { id } }')
    incident_id = created["createIncident"]["id"]
    data = await incidents.ok(
        INCIDENT_ENTITIES,
        r=[
            {"__typename": "Incident", "id": incident_id},
            {"__typename": "Incident", "id": MISSING},
        ],
    )
    assert data["_entities"] == [{"id": incident_id, "number": "INC-1", "title": "Down"}, None]


async def test_entities_failures_stand_at_their_positions(
    identity: Subgraph, sessions: Any, tenant_id: uuid.UUID
) -> None:
    """A type the subgraph does not know fails at its own positions; the others resolve.
    A caller without identity:view gets FORBIDDEN at each position of the refused type."""
    ada = await identity.ok('mutation { createUser(input: {name: "Ada", email: "a@x.io"}) { id } }')
    ada_id = ada["createUser"]["id"]
    representations = [
        {"__typename": "User", "id": ada_id},
        {"__typename": "Spaceship", "id": MISSING},
        {"__typename": "User", "id": ada_id},
    ]
    result = await identity.run(IDENTITY_ENTITIES, r=representations)
    assert result["data"]["_entities"] == [
        {"id": ada_id, "name": "Ada"},
        None,
        {"id": ada_id, "name": "Ada"},
    ]
    assert [error["path"] for error in result["errors"]] == [["_entities", 1]]
    assert "Spaceship" in result["errors"][0]["message"]

    stranger = Context.open(sessions, principal=REGISTRY.roles.principal(tenant_id, frozenset()))
    refused = await identity.run(IDENTITY_ENTITIES, stranger, r=representations[::2])
    await stranger.close()
    assert refused["data"]["_entities"] == [None, None]
    assert [(e["path"], e["extensions"]["code"]) for e in refused["errors"]] == [
        (["_entities", 0], "UNAUTHENTICATED"),
        (["_entities", 1], "UNAUTHENTICATED"),
    ]


async def test_entities_share_the_requests_loader_cache(
    identity: Subgraph, new_context: Any, statements: Any
) -> None:
    """A user read earlier in the request is not read again by `_entities`; a key repeated
    in the representations is read once."""
    ada = await identity.ok('mutation { createUser(input: {name: "Ada", email: "a@x.io"}) { id } }')
    bob = await identity.ok('mutation { createUser(input: {name: "Bob", email: "b@x.io"}) { id } }')
    ada_id, bob_id = ada["createUser"]["id"], bob["createUser"]["id"]
    context = new_context()
    statements.reset()
    await identity.ok("query($id: ID!) { user(id: $id) { name } }", context, id=ada_id)
    assert statements.count == 2  # the tenant's set_config, the user
    data = await identity.ok(
        IDENTITY_ENTITIES,
        context,
        r=[
            {"__typename": "User", "id": bob_id},
            {"__typename": "User", "id": ada_id},
            {"__typename": "User", "id": bob_id},
        ],
    )
    names = [entity["name"] for entity in data["_entities"]]
    assert names == ["Bob", "Ada", "Bob"]
    assert statements.count == 3, statements.statements  # Bob only
    assert "ANY" in statements.statements[-1]
