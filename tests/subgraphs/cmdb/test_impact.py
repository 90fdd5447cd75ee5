"""Impact analysis against real PostgreSQL: DOWNSTREAM and UPSTREAM over a small shop with a
cycle and a cluster of three web servers that needs two, depth limits, type filters, retired
CIs, outageImpact, tenant walls, and a statement count that does not grow with the graph."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from db.tables import tenancy
from db.tenants import create_tenant
from opsgraph.seed import seed_demo
from subgraphs.cmdb import schema as cmdb_schema
from tests.subgraphs.cmdb.conftest import create_ci
from tests.support import Subgraph

ADD = "mutation($input: AddRelationshipInput!) { addRelationship(input: $input) { id } }"
IMPACT = """
query($id: ID!, $direction: ImpactDirection!, $depth: Int! = 20, $types: [String!],
      $redundancy: Boolean! = true) {
  configurationItem(id: $id) {
    impact(direction: $direction, depth: $depth, types: $types, redundancyAware: $redundancy) {
      nodes { ci { name } distance via { type { name } parent { name } child { name } } }
      edges { relationship { type { name } } fromCi { name } toCi { name } }
    }
  }
}"""
OUTAGE = """
query($ids: [ID!]!, $redundancy: Boolean! = true) {
  outageImpact(ciIds: $ids, redundancyAware: $redundancy) {
    businessServices { ci { name } distance }
    graph { nodes { ci { name } } }
  }
}"""

Shop = dict[str, dict[str, Any]]


@pytest.fixture
async def shop(cmdb: Subgraph) -> Shop:
    """Online Shop ← shop (app) ⇄ recommendations (a cycle); shop ← shop-api, which runs on
    the web cluster (needs 2 of web-1..3) and depends on the orders database; web-1, web-2
    on host-1, web-3 on host-2; both hosts on the core switch; orders on db-host."""
    made: Shop = {}

    async def ci(class_name: str, name: str, **fields: Any) -> None:
        made[name] = await create_ci(cmdb, class_name, name, **fields)

    await ci("BusinessService", "Online Shop")
    await ci("Application", "shop")
    await ci("Application", "recommendations")
    await ci("ApplicationService", "shop-api")
    await ci("Cluster", "web", redundancyRequired=2)
    for name in ("web-1", "web-2", "web-3"):
        await ci("VirtualMachine", name)
    for name in ("host-1", "host-2", "db-host"):
        await ci("Server", name)
    await ci("Database", "orders")
    await ci("NetworkDevice", "core", attributes={"deviceType": "switch"})
    for parent, type_, child in [
        ("Online Shop", "DEPENDS_ON", "shop"),
        ("shop", "DEPENDS_ON", "recommendations"),
        ("recommendations", "DEPENDS_ON", "shop"),
        ("shop", "DEPENDS_ON", "shop-api"),
        ("shop-api", "RUNS_ON", "web"),
        ("shop-api", "DEPENDS_ON", "orders"),
        ("web-1", "MEMBER_OF", "web"),
        ("web-2", "MEMBER_OF", "web"),
        ("web-3", "MEMBER_OF", "web"),
        ("web-1", "HOSTED_ON", "host-1"),
        ("web-2", "HOSTED_ON", "host-1"),
        ("web-3", "HOSTED_ON", "host-2"),
        ("host-1", "CONNECTS_TO", "core"),
        ("host-2", "CONNECTS_TO", "core"),
        ("orders", "RUNS_ON", "db-host"),
    ]:
        await cmdb.ok(
            ADD,
            input={"parentId": made[parent]["id"], "childId": made[child]["id"], "type": type_},
        )
    return made


async def impact(cmdb: Subgraph, ci: dict[str, Any], direction: str, **args: Any) -> Any:
    data = await cmdb.ok(IMPACT, id=ci["id"], direction=direction, **args)
    return data["configurationItem"]["impact"]


def distances(graph: Any) -> dict[str, int]:
    return {node["ci"]["name"]: node["distance"] for node in graph["nodes"]}


ABOVE_THE_CLUSTER = {"web": 2, "shop-api": 3, "shop": 4, "Online Shop": 5, "recommendations": 5}


async def test_downstream_of_the_switch_takes_the_shop_down(cmdb: Subgraph, shop: Shop) -> None:
    graph = await impact(cmdb, shop["core"], "DOWNSTREAM")
    assert distances(graph) == {
        "core": 0,
        "host-1": 1,
        "host-2": 1,
        "web-1": 2,
        "web-2": 2,
        "web-3": 2,
        **{name: distance + 1 for name, distance in ABOVE_THE_CLUSTER.items()},
    }
    assert graph["nodes"][0]["via"] is None
    by_name = {node["ci"]["name"]: node for node in graph["nodes"]}
    assert by_name["web"]["via"]["type"] == {"name": "MEMBER_OF"}
    assert by_name["shop-api"]["via"] == {
        "type": {"name": "RUNS_ON"},
        "parent": {"name": "shop-api"},
        "child": {"name": "web"},
    }
    # Edges run the failure's way (the cycle's way back into `shop` is not one of them).
    assert {"relationship": {"type": {"name": "DEPENDS_ON"}}, "fromCi": {"name": "shop"},
            "toCi": {"name": "recommendations"}} in graph["edges"]  # fmt: skip
    assert not any(edge["toCi"]["name"] in ("core", "shop") and edge["fromCi"]["name"]
                   == "recommendations" for edge in graph["edges"])  # fmt: skip
    assert len(graph["edges"]) == 12


async def test_one_web_server_down_leaves_the_cluster_up(cmdb: Subgraph, shop: Shop) -> None:
    assert distances(await impact(cmdb, shop["web-1"], "DOWNSTREAM")) == {"web-1": 0}
    # Without redundancy, one member takes it all.
    plain = await impact(cmdb, shop["web-1"], "DOWNSTREAM", redundancy=False)
    assert distances(plain) == {"web-1": 0, **{n: d - 1 for n, d in ABOVE_THE_CLUSTER.items()}}


async def test_two_web_servers_down_take_the_business_service(cmdb: Subgraph, shop: Shop) -> None:
    one = await cmdb.ok(OUTAGE, ids=[shop["web-3"]["id"]])
    assert one["outageImpact"]["businessServices"] == []
    # host-1 carries web-1 and web-2: two of three members, the cluster is down.
    two = await cmdb.ok(OUTAGE, ids=[shop["host-1"]["id"]])
    assert two["outageImpact"]["businessServices"] == [
        {"ci": {"name": "Online Shop"}, "distance": 5}
    ]
    # With the database's host down too, the shop's API fails sooner (it needs orders).
    sooner = await cmdb.ok(OUTAGE, ids=[shop["host-1"]["id"], shop["db-host"]["id"]])
    assert sooner["outageImpact"]["businessServices"] == [
        {"ci": {"name": "Online Shop"}, "distance": 4}
    ]
    via = await cmdb.ok(
        "query($ids: [ID!]!) { outageImpact(ciIds: $ids) { businessServices { via { "
        "type { name } parent { name } child { name } } } } }",
        ids=[shop["host-1"]["id"]],
    )
    assert via["outageImpact"]["businessServices"] == [
        {
            "via": {
                "type": {"name": "DEPENDS_ON"},
                "parent": {"name": "Online Shop"},
                "child": {"name": "shop"},
            }
        }
    ]
    members = await cmdb.ok(OUTAGE, ids=[shop["web-1"]["id"], shop["web-3"]["id"]])
    hit = {node["ci"]["name"] for node in members["outageImpact"]["graph"]["nodes"]}
    assert hit == {"web-1", "web-3", *ABOVE_THE_CLUSTER}


async def test_upstream_lists_every_candidate_cause(cmdb: Subgraph, shop: Shop) -> None:
    graph = await impact(cmdb, shop["shop"], "UPSTREAM")
    assert distances(graph) == {
        "shop": 0,
        "recommendations": 1,
        "shop-api": 1,
        "web": 2,
        "orders": 2,
        "web-1": 3,
        "web-2": 3,
        "web-3": 3,
        "db-host": 3,
        "host-1": 4,
        "host-2": 4,
        "core": 5,
    }
    # Redundancy does not hide a cause.
    assert distances(await impact(cmdb, shop["web"], "UPSTREAM", redundancy=True))["web-1"] == 1


async def test_depth_and_types_limit_the_walk(cmdb: Subgraph, shop: Shop) -> None:
    assert distances(await impact(cmdb, shop["core"], "DOWNSTREAM", depth=1)) == {
        "core": 0,
        "host-1": 1,
        "host-2": 1,
    }
    assert distances(await impact(cmdb, shop["core"], "DOWNSTREAM", depth=0)) == {"core": 0}
    network_only = await impact(cmdb, shop["core"], "DOWNSTREAM", types=["CONNECTS_TO"])
    assert distances(network_only) == {"core": 0, "host-1": 1, "host-2": 1}
    for depth in (51, -1):
        result = await cmdb.run(IMPACT, id=shop["core"]["id"], direction="DOWNSTREAM", depth=depth)
        [error] = result["errors"]
        assert (error["extensions"]["code"], error["extensions"]["argument"]) == (
            "BAD_USER_INPUT",
            "depth",
        )
    unknown = await cmdb.run(IMPACT, id=shop["core"]["id"], direction="UPSTREAM", types=["X"])
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_retired_ci_stops_the_spread(cmdb: Subgraph, shop: Shop) -> None:
    await cmdb.ok(
        "mutation($id: ID!) { retireConfigurationItem(id: $id) { id } }", id=shop["orders"]["id"]
    )
    assert distances(await impact(cmdb, shop["db-host"], "DOWNSTREAM")) == {"db-host": 0}


async def test_outage_of_unknown_or_foreign_cis_is_not_found(
    cmdb: Subgraph, shop: Shop, new_context: Any, owner_sessions: Any
) -> None:
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"t-{uuid.uuid4().hex[:10]}", "Other")
    stranger = await create_ci(Subgraph(cmdb.schema, lambda: new_context(other)), "Server", "x")
    for ids in ([stranger["id"]], [shop["core"]["id"], str(uuid.uuid4())]):
        result = await cmdb.run(OUTAGE, ids=ids)
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await cmdb.run(OUTAGE, ids=[]))["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Seen from the other tenant, the shop does not exist.
    theirs = Subgraph(cmdb.schema, lambda: new_context(other))
    hidden = await theirs.run(IMPACT, id=shop["core"]["id"], direction="DOWNSTREAM")
    assert hidden == {"data": {"configurationItem": None}, "errors": []}


async def test_statements_do_not_grow_with_the_graph(
    cmdb: Subgraph, shop: Shop, statements: Any
) -> None:
    counts = []
    for _ in range(2):
        statements.reset()
        await impact(cmdb, shop["core"], "DOWNSTREAM")
        counts.append(statements.count)
        for i in range(5):  # more servers on the switch, each with an application
            host = await create_ci(cmdb, "Server", f"more-{len(counts)}-{i}")
            app = await create_ci(cmdb, "Application", f"app-{len(counts)}-{i}")
            for parent, type_, child in (
                (host, "CONNECTS_TO", shop["core"]),
                (app, "RUNS_ON", host),
            ):
                await cmdb.ok(
                    ADD, input={"parentId": parent["id"], "childId": child["id"], "type": type_}
                )
    statements.reset()
    graph = await impact(cmdb, shop["core"], "DOWNSTREAM")
    assert len(graph["nodes"]) == 11 + 20
    assert counts == [statements.count, statements.count], statements.statements
    # The tenant's set_config, the CI asked for, the relationship types, the graph, the CIs
    # at via's and the edges' ends (the nodes' own names come with the graph; via and edges
    # are built from the graph's rows: no relationship is read again).
    assert statements.count == 5, statements.statements


NAMES = """query($id: ID!) { configurationItem(id: $id) {
  impact(direction: DOWNSTREAM) { nodes { ci { id name ciClass { name } } } }
} }"""
RENAME = """mutation($id: ID!, $name: String!) {
  updateConfigurationItem(id: $id, input: {name: $name}) { name }
}"""


async def test_a_blast_radius_by_name_reads_no_ci_and_shows_a_rename_at_once(
    cmdb: Subgraph, shop: Shop, statements: Any
) -> None:
    """Its CIs' names and classes come with the graph kept in memory, renames included (the
    change log has them): no statement reads the CIs; their classes are read (once)."""
    await cmdb.ok(NAMES, id=shop["host-1"]["id"])  # the graph loaded
    await cmdb.ok(RENAME, id=shop["web-2"]["id"], name="web-2b")
    statements.reset()
    data = await cmdb.ok(NAMES, id=shop["host-1"]["id"])
    nodes = data["configurationItem"]["impact"]["nodes"]
    named = {n["ci"]["name"]: (n["ci"]["id"], n["ci"]["ciClass"]["name"]) for n in nodes}
    assert named["web-2b"] == (shop["web-2"]["id"], "VirtualMachine")
    assert named["web"][1] == "Cluster" and "web-2" not in named
    assert len(nodes) == 3 + len(ABOVE_THE_CLUSTER)  # host-1, web-1, web-2b and above
    # set_config, the CI asked for, the relationship types, the graph's changes (the rename
    # among them), the classes: no statement reads the nodes' CIs.
    assert statements.count == 5, statements.statements


async def test_the_demo_core_switches_take_every_service_down(
    owner_sessions: Any, new_context: Any
) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    async with owner_sessions() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=3)
        tenant = await session.scalar(select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug))
    demo = Subgraph(cmdb_schema, lambda: new_context(tenant))
    cores = [
        (
            await demo.ok(
                'query($name: String!) { configurationItemByName(className: "NetworkDevice", '
                "name: $name) { id } }",
                name=name,
            )
        )["configurationItemByName"]["id"]
        for name in ("core-sw-01", "core-sw-02")
    ]
    both = await demo.ok(OUTAGE, ids=cores)
    hit = {node["ci"]["name"] for node in both["outageImpact"]["businessServices"]}
    assert hit == {"Online Shop", "Payments", "E-mail"}
    # One core down: the rack switches, which need one of their two uplinks, hold.
    one = await demo.ok(OUTAGE, ids=cores[:1])
    reached = {node["ci"]["name"] for node in one["outageImpact"]["graph"]["nodes"]}
    assert not any(name.startswith("sw-rack-") for name in reached)
    plain = await demo.ok(OUTAGE, ids=cores[:1], redundancy=False)
    assert {node["ci"]["name"] for node in plain["outageImpact"]["graph"]["nodes"]} > reached
