"""Incidents ↔ configuration items, both ways, through the router in-process: an incident
stores its CIs' ids (checked with the CMDB), the incidents subgraph adds `openIncidents` and
`incidents` to the CMDB's entity, and the statements a request costs do not grow with the
number of CIs or incidents."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from db.tenants import create_tenant, find_tenant_id
from opsgraph.seed import seed_demo
from router.gateway import Gateway
from subgraphs.incidents import tables
from tests.subgraphs.cmdb.conftest import codes, create_ci, ok, run
from tests.support import Subgraph

CREATE = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) {
  id number ci { id name } affectedCis { id name } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) {
  ci { name } affectedCis { name } history { kind changes { field oldValue newValue } } } }"""
CI = """query($id: ID!) { configurationItem(id: $id) {
  name
  openIncidents { number priority ci { name } }
  incidents(pagination: {first: 2}) {
    totalCount edges { node { number status } } pageInfo { hasNextPage endCursor } }
} }"""


async def test_an_incident_and_its_cis_both_ways(
    gateway: Gateway, cmdb: Subgraph, new_context: Any
) -> None:
    web = await create_ci(cmdb, "Server", "web-01")
    db = await create_ci(cmdb, "Database", "orders-db")
    shop = await create_ci(cmdb, "BusinessService", "Online Shop")

    first = await ok(
        gateway,
        new_context(),
        CREATE,
        input={"title": "Shop slow", "ciId": web["id"], "affectedCiIds": [shop["id"], web["id"]]},
    )
    second = await ok(
        gateway,
        new_context(),
        CREATE,
        input={"title": "DB locks", "ciId": db["id"], "affectedCiIds": [shop["id"]]},
    )
    await ok(
        gateway,
        new_context(),
        "mutation($id: ID!) { transitionIncident(id: $id, input: {status: CANCELLED, "
        'cancelReason: "Gone"}) { dryRun } }',
        id=second["createIncident"]["id"],
    )

    # The primary CI is not repeated among the affected ones; the CMDB names them.
    assert first["createIncident"]["ci"] == {"id": web["id"], "name": "web-01"}
    assert first["createIncident"]["affectedCis"] == [{"id": shop["id"], "name": "Online Shop"}]
    read = await ok(gateway, new_context(), CI, id=shop["id"])
    numbers = [second["createIncident"]["number"], first["createIncident"]["number"]]
    assert read["configurationItem"] == {
        "name": "Online Shop",
        "openIncidents": [
            {
                "number": first["createIncident"]["number"],
                "priority": "MEDIUM",
                "ci": {"name": "web-01"},
            }
        ],
        "incidents": {
            "totalCount": 2,
            "edges": [
                {"node": {"number": numbers[0], "status": "CANCELLED"}},
                {"node": {"number": numbers[1], "status": "OPEN"}},
            ],
            "pageInfo": {
                "hasNextPage": False,
                "endCursor": read["configurationItem"]["incidents"]["pageInfo"]["endCursor"],
            },
        },
    }
    filtered = await ok(
        gateway,
        new_context(),
        "query($ci: ID!) { incidents(filter: {ciId: $ci}) { edges { node { title } } } }",
        ci=db["id"],
    )
    assert filtered["incidents"]["edges"] == [{"node": {"title": "DB locks"}}]


async def test_updates_move_the_cis_and_keep_history(
    gateway: Gateway, cmdb: Subgraph, new_context: Any
) -> None:
    a, b, c = [await create_ci(cmdb, "Server", f"srv-{n}") for n in "abc"]
    made = await ok(
        gateway,
        new_context(),
        CREATE,
        input={"title": "x", "ciId": a["id"], "affectedCiIds": [b["id"]]},
    )
    incident = made["createIncident"]["id"]

    # b becomes the primary CI: it leaves the affected ones; c joins them.
    moved = await ok(
        gateway,
        new_context(),
        UPDATE,
        id=incident,
        input={"ciId": b["id"], "affectedCiIds": [b["id"], c["id"]]},
    )
    cleared = await ok(
        gateway, new_context(), UPDATE, id=incident, input={"ciId": None, "affectedCiIds": None}
    )

    assert moved["updateIncident"]["ci"] == {"name": "srv-b"}
    assert moved["updateIncident"]["affectedCis"] == [{"name": "srv-c"}]
    assert cleared["updateIncident"]["ci"] is None
    assert cleared["updateIncident"]["affectedCis"] == []
    changes = [
        {change["field"]: (change["oldValue"], change["newValue"]) for change in entry["changes"]}
        for entry in cleared["updateIncident"]["history"]
    ]
    assert changes[1] == {
        "ciId": (a["id"], b["id"]),
        "affectedCiIds": (b["id"], c["id"]),
    }
    assert changes[2] == {"ciId": (b["id"], None), "affectedCiIds": (c["id"], "")}


async def test_ids_naming_no_ci_of_the_tenant_are_not_found_and_nothing_is_written(
    gateway: Gateway,
    cmdb: Subgraph,
    new_context: Any,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
) -> None:
    mine = await create_ci(cmdb, "Server", "mine")
    other_tenant = await _other_tenant(owner_sessions)
    theirs = await ok(
        gateway,
        new_context(other_tenant),
        'mutation { createConfigurationItem(input: {className: "Server", name: "theirs"}) { id } }',
    )
    stranger = theirs["createConfigurationItem"]["id"]

    cases = [
        ({"ciId": stranger}, "input.ciId"),
        (
            {"ciId": mine["id"], "affectedCiIds": [mine["id"], str(uuid.uuid4())]},
            "input.affectedCiIds[1]",
        ),
    ]
    for fields, argument in cases:
        refused = await run(gateway, new_context(), CREATE, input={"title": "no", **fields})
        assert codes(refused) == [("NOT_FOUND", argument)], refused
    bad_id = await run(gateway, new_context(), CREATE, input={"title": "no", "ciId": "nope"})
    assert codes(bad_id)[0][0] == "BAD_USER_INPUT"
    i = tables.Incident
    async with owner_sessions() as session:
        titles = (await session.execute(select(i.title).where(i.tenant_id == tenant_id))).all()
    assert titles == []


async def _other_tenant(owner_sessions: Any) -> uuid.UUID:
    async with owner_sessions() as session, session.begin():
        slug = f"o-{uuid.uuid4().hex[:10]}"
        return await create_tenant(session, slug, "Other")


PAGE = """query($first: Int!) { configurationItems(pagination: {first: $first}) { edges { node {
  name
  openIncidents { number priority team { name } affectedCis { name } }
  incidents(pagination: {first: 1}) { totalCount edges { node { number } } }
} } } }"""
# set_config · the CI page (cmdb) · open incidents · the incidents' pages with their counts ·
# affected CIs (incidents) · the affected CIs' names (cmdb) with the teams (identity), reads
# asked at once sent in one statement (db/merged_reads.py): the same whatever the number of
# CIs and incidents.
STATEMENTS_PER_PAGE = 6


async def test_statements_do_not_grow_with_the_number_of_cis(
    gateway: Gateway, cmdb: Subgraph, new_context: Any, statements: Any
) -> None:
    team = await ok(gateway, new_context(), 'mutation { createTeam(input: {name: "NOC"}) { id } }')
    cis = [await create_ci(cmdb, "Server", f"srv-{n:02}") for n in range(8)]
    for n, ci in enumerate(cis):
        for title in ("down", "slow"):
            await ok(
                gateway,
                new_context(),
                CREATE,
                input={
                    "title": title,
                    "ciId": ci["id"],
                    "affectedCiIds": [cis[(n + 1) % len(cis)]["id"]],
                    "teamId": team["createTeam"]["id"],
                },
            )
    counts = {}
    for size in (2, 8):
        context = new_context()
        statements.reset()
        data = await ok(gateway, context, PAGE, first=size)
        nodes = [edge["node"] for edge in data["configurationItems"]["edges"]]
        assert len(nodes) == size
        assert all(len(node["openIncidents"]) == 4 for node in nodes)  # 2 primary, 2 affected
        assert all(node["incidents"]["totalCount"] == 4 for node in nodes)
        assert all(i["team"]["name"] == "NOC" for node in nodes for i in node["openIncidents"])
        counts[size] = statements.count
    assert counts == {2: STATEMENTS_PER_PAGE, 8: STATEMENTS_PER_PAGE}, statements.statements


async def test_another_tenant_sees_none_of_the_incidents_of_a_ci(
    gateway: Gateway,
    cmdb: Subgraph,
    incidents: Subgraph,
    new_context: Any,
    owner_sessions: Any,
) -> None:
    ci = await create_ci(cmdb, "Server", "walled")
    await ok(gateway, new_context(), CREATE, input={"title": "mine", "ciId": ci["id"]})
    other = await _other_tenant(owner_sessions)

    through_router = await ok(gateway, new_context(other), CI, id=ci["id"])
    # Asked directly with the id, the incidents subgraph answers from behind its walls.
    direct = await incidents.ok(
        """query($r: [_Any!]!) { _entities(representations: $r) { ... on ConfigurationItem {
          openIncidents { number } incidents { totalCount edges { node { number } } } } } }""",
        new_context(other),
        r=[{"__typename": "ConfigurationItem", "id": ci["id"]}],
    )
    mine = await ok(gateway, new_context(), CI, id=ci["id"])

    assert through_router == {"configurationItem": None}
    assert direct["_entities"] == [
        {"openIncidents": [], "incidents": {"totalCount": 0, "edges": []}}
    ]
    assert mine["configurationItem"]["incidents"]["totalCount"] == 1


async def test_open_incidents_of_many_items_are_refused_each_without_incident_view(
    incidents: Subgraph, as_roles: Any, statements: Any
) -> None:
    """The field is read for all the entities at once (one statement); a caller the
    permission check refuses gets FORBIDDEN at each item and nothing is read."""
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on ConfigurationItem { openIncidents { number } } } }"""
    items = [{"__typename": "ConfigurationItem", "id": str(uuid.uuid4())} for _ in range(3)]
    allowed = await incidents.ok(query, r=items)
    assert allowed["_entities"] == [{"openIncidents": []}] * 3

    cmdb_only = as_roles("cmdb-reader", custom={"cmdb-reader": frozenset({"cmdb:view"})})
    statements.reset()
    refused = await incidents.run(query, cmdb_only, r=items)
    assert refused["data"] == {"_entities": [None, None, None]}
    assert [(e["path"], e["extensions"]["code"]) for e in refused["errors"]] == [
        (["_entities", n, "openIncidents"], "FORBIDDEN") for n in range(3)
    ]
    assert not [s for s in statements.statements if "incidents" in s]


BLAST_RADIUS = """query($id: ID!) { configurationItem(id: $id) {
  impact(direction: DOWNSTREAM) { nodes { distance ci { name openIncidents { number priority } } } }
} }"""
ADD = "mutation($input: AddRelationshipInput!) { addRelationship(input: $input) { id } }"


async def test_the_blast_radius_with_its_open_incidents_costs_the_same_at_any_size(
    gateway: Gateway, cmdb: Subgraph, new_context: Any, statements: Any
) -> None:
    """The issue's query: who is hurt when a server fails, with their open incidents — one
    request, its statements the same for 2 and for 12 applications on the server."""
    counts = {}
    for size in (2, 12):
        host = await create_ci(cmdb, "Server", f"host-{size}")
        for n in range(size):
            app = await create_ci(cmdb, "Application", f"app-{size}-{n}")
            await cmdb.ok(
                ADD, input={"parentId": app["id"], "childId": host["id"], "type": "RUNS_ON"}
            )
            await ok(gateway, new_context(), CREATE, input={"title": "slow", "ciId": app["id"]})
        context = new_context()
        statements.reset()
        data = await ok(gateway, context, BLAST_RADIUS, id=host["id"])
        nodes = data["configurationItem"]["impact"]["nodes"]
        assert len(nodes) == size + 1
        assert all(len(n["ci"]["openIncidents"]) == (n["distance"] == 1) for n in nodes)
        counts[size] = statements.count
    assert counts == {2: STATEMENTS_PER_BLAST_RADIUS, 12: STATEMENTS_PER_BLAST_RADIUS}, (
        statements.statements
    )


# set_config · the CI (cmdb) · the relationship types · the changes to the graph in memory
# (whose CIs' names and classes it holds: they are not read again) · the open incidents of
# all of them (incidents).
STATEMENTS_PER_BLAST_RADIUS = 5


async def test_the_demo_shows_a_blast_radius_with_open_incidents(
    gateway: Gateway, owner_sessions: Any, new_context: Any
) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    async with owner_sessions() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=60)
    async with owner_sessions() as session:
        tenant = await find_tenant_id(session, slug)

    data = await ok(
        gateway,
        new_context(tenant),
        """{ configurationItemByName(className: "NetworkDevice", name: "core-sw-01") {
          impact(direction: DOWNSTREAM) { nodes { ci { name ciClass { name }
            openIncidents { number } } } } } }""",
    )

    nodes = data["configurationItemByName"]["impact"]["nodes"]
    assert len(nodes) > 10
    assert sum(len(node["ci"]["openIncidents"]) for node in nodes) >= 5
    hit = {
        node["ci"]["name"] for node in nodes if node["ci"]["ciClass"]["name"] == "BusinessService"
    }
    assert hit == {"Online Shop", "Payments", "E-mail"}  # the business is hit
