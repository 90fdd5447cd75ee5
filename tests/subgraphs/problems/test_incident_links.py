"""Incidents ↔ problems, both ways, through the router in-process: the problems subgraph
stores the links (incident ids checked with the incidents subgraph), adds `problem` to the
incidents domain's `Incident`, and answers `Problem.incidents` with stubs the incidents
subgraph fills in; the statements of a page do not grow with its size."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from db.tables import events
from db.tenants import create_tenant
from router.gateway import Gateway
from subgraphs.problems import tables
from tests.subgraphs.cmdb.conftest import create_ci
from tests.subgraphs.problems.conftest import (
    CREATE_INCIDENT,
    CREATE_PROBLEM,
    codes,
    ok,
    run,
)
from tests.support import Subgraph

LINK = """mutation($p: ID!, $ids: [ID!]!) { linkIncidents(problemId: $p, incidentIds: $ids) {
  number incidents { totalCount edges { node { number title problem { number } } } } } }"""
UNLINK = """mutation($p: ID!, $i: ID!) { unlinkIncident(problemId: $p, incidentId: $i) {
  incidents { totalCount edges { node { number } } } } }"""
INCIDENT = """query($id: ID!) { incident(id: $id) { number problem { number title status } } }"""
FROM_INCIDENTS = """mutation($ids: [ID!]!, $input: CreateProblemInput!) {
  createProblemFromIncidents(incidentIds: $ids, input: $input) {
    number incidents { edges { node { title } } } } }"""


async def incident(gateway: Gateway, new_context: Any, title: str, **fields: Any) -> str:
    data = await ok(gateway, new_context(), CREATE_INCIDENT, input={"title": title, **fields})
    return data["createIncident"]["id"]  # type: ignore[no-any-return]


async def problem(gateway: Gateway, new_context: Any, title: str = "Disks fill up") -> str:
    data = await ok(gateway, new_context(), CREATE_PROBLEM, input={"title": title})
    return data["createProblem"]["id"]  # type: ignore[no-any-return]


async def problem_events(owner_sessions: Any, tenant_id: uuid.UUID) -> list[Any]:
    o = events.OutboxEvent
    async with owner_sessions() as session:
        rows = await session.execute(
            select(o.kind, o.payload)
            .where(o.tenant_id == tenant_id, o.domain == "problems")
            .order_by(o.id)
        )
        return [(row.kind, row.payload) for row in rows]


async def test_link_and_unlink_both_ways(
    gateway: Gateway, new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    a, b, c = [await incident(gateway, new_context, title) for title in ("Disk A", "Disk B", "C")]
    p = await problem(gateway, new_context)

    linked = await ok(gateway, new_context(), LINK, p=p, ids=[a, b, a])
    again = await ok(gateway, new_context(), LINK, p=p, ids=[b])  # linked already: unchanged
    of_a = await ok(gateway, new_context(), INCIDENT, id=a)
    of_c = await ok(gateway, new_context(), INCIDENT, id=c)

    edges = linked["linkIncidents"]["incidents"]["edges"]
    assert linked["linkIncidents"]["incidents"]["totalCount"] == 2
    # Most recently linked first; the incidents subgraph gives number and title.
    assert sorted(edge["node"]["title"] for edge in edges) == ["Disk A", "Disk B"]
    assert {edge["node"]["problem"]["number"] for edge in edges} == {"PRB-1"}
    assert again["linkIncidents"]["incidents"]["totalCount"] == 2
    assert of_a["incident"]["problem"] == {
        "number": "PRB-1",
        "title": "Disks fill up",
        "status": "NEW",
    }
    assert of_c["incident"]["problem"] is None

    unlinked = await ok(gateway, new_context(), UNLINK, p=p, i=a)
    assert unlinked["unlinkIncident"]["incidents"]["totalCount"] == 1
    assert (await ok(gateway, new_context(), INCIDENT, id=a))["incident"]["problem"] is None
    not_linked = await run(gateway, new_context(), UNLINK, p=p, i=c)
    assert codes(not_linked) == [("NOT_FOUND", "incidentId")]

    written = await problem_events(owner_sessions, tenant_id)
    assert [kind for kind, _ in written] == [
        "problem.created",
        "problem.incidents_linked",
        "problem.incident_unlinked",
    ]
    assert written[1][1] == {
        "id": p,
        "number": "PRB-1",
        "title": "Disks fill up",
        "incidentIds": [a, b],
        "workaround": None,
        "actorId": None,
    }
    assert written[2][1] == {"id": p, "number": "PRB-1", "incidentIds": [a], "actorId": None}


async def test_an_incident_links_to_one_problem_only(
    gateway: Gateway, new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    a, b = await incident(gateway, new_context, "a"), await incident(gateway, new_context, "b")
    first, second = await problem(gateway, new_context), await problem(gateway, new_context)
    await ok(gateway, new_context(), LINK, p=first, ids=[a])

    refused = await run(gateway, new_context(), LINK, p=second, ids=[b, a])
    made = await run(
        gateway, new_context(), FROM_INCIDENTS, ids=[b, a], input={"title": "Same cause"}
    )

    assert codes(refused) == [("CONFLICT", "incidentIds")]
    assert codes(made) == [("CONFLICT", "incidentIds")]
    link = tables.ProblemIncident
    async with owner_sessions() as session:
        rows = (
            await session.execute(
                select(link.problem_id, link.incident_id).where(link.tenant_id == tenant_id)
            )
        ).all()
        problems = await session.scalar(
            select(func.count()).where(tables.Problem.tenant_id == tenant_id)
        )
    assert [(str(p), str(i)) for p, i in rows] == [(first, a)]  # b was not linked
    assert problems == 2  # the refused create wrote nothing (its number is given back)


async def test_ids_naming_no_incident_of_the_tenant_are_refused_and_nothing_is_written(
    gateway: Gateway, new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    mine = await incident(gateway, new_context, "mine")
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
    theirs = await incident(gateway, lambda: new_context(other), "theirs")
    p = await problem(gateway, new_context)

    foreign = await run(gateway, new_context(), LINK, p=p, ids=[mine, theirs])
    unknown = await run(gateway, new_context(), LINK, p=p, ids=[str(uuid.uuid4())])
    from_foreign = await run(
        gateway, new_context(), FROM_INCIDENTS, ids=[theirs], input={"title": "x"}
    )
    malformed = await run(gateway, new_context(), LINK, p=p, ids=["nope"])

    assert codes(foreign) == [("NOT_FOUND", "incidentIds[1]")]
    assert codes(unknown) == [("NOT_FOUND", "incidentIds[0]")]
    assert codes(from_foreign) == [("NOT_FOUND", "incidentIds[0]")]
    assert codes(malformed)[0][0] == "BAD_USER_INPUT"
    assert [kind for kind, _ in await problem_events(owner_sessions, tenant_id)] == [
        "problem.created"
    ]


async def test_a_problem_from_incidents_and_the_workaround_on_linking(
    gateway: Gateway, new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    a, b = await incident(gateway, new_context, "VPN a"), await incident(gateway, new_context, "b")
    made = await ok(gateway, new_context(), FROM_INCIDENTS, ids=[a], input={"title": "VPN drops"})
    assert made["createProblemFromIncidents"] == {
        "number": "PRB-1",
        "incidents": {"edges": [{"node": {"title": "VPN a"}}]},
    }
    p = (await ok(gateway, new_context(), INCIDENT, id=a))["incident"]["problem"]
    assert p["number"] == "PRB-1"
    problem_id = (await ok(gateway, new_context(), '{ problemByNumber(number: "PRB-1") { id } }'))[
        "problemByNumber"
    ]["id"]
    await ok(
        gateway,
        new_context(),
        'mutation($id: ID!) { publishWorkaround(id: $id, workaround: "Use vpn2") { id } }',
        id=problem_id,
    )
    await ok(gateway, new_context(), LINK, p=problem_id, ids=[b])

    written = await problem_events(owner_sessions, tenant_id)
    assert [kind for kind, _ in written] == [
        "problem.created",
        "problem.incidents_linked",
        "problem.workaround_published",
        "problem.incidents_linked",
    ]
    assert written[1][1]["incidentIds"] == [a] and written[1][1]["number"] == "PRB-1"
    assert written[2][1] == {
        "id": problem_id,
        "number": "PRB-1",
        "title": "VPN drops",
        "workaround": "Use vpn2",
        "incidentIds": [a],
        "actorId": None,
    }
    assert (written[3][1]["incidentIds"], written[3][1]["workaround"]) == ([b], "Use vpn2")


START_WORK = """mutation($id: ID!) {
  transitionIncident(id: $id, input: {status: IN_PROGRESS}) { toStatus } }"""


async def test_problem_incidents_filtered_by_the_read_model(
    gateway: Gateway, new_context: Any, catch_up: Any
) -> None:
    a, b = await incident(gateway, new_context, "a"), await incident(gateway, new_context, "b")
    await ok(
        gateway,
        new_context(),
        START_WORK,
        id=b,
    )
    p = await problem(gateway, new_context)
    await ok(gateway, new_context(), LINK, p=p, ids=[a])
    await ok(gateway, new_context(), LINK, p=p, ids=[b])  # linked last: listed first
    await catch_up()

    query = """query($id: ID!) { problem(id: $id) {
      open: incidents(filter: {status: [OPEN]}) { totalCount edges { node { title } } }
      working: incidents(filter: {status: [IN_PROGRESS]}) { edges { node { title status } } }
      page: incidents(pagination: {first: 1}) { edges { node { title } } pageInfo { hasNextPage } }
    } }"""
    read = await ok(gateway, new_context(), query, id=p)
    assert read["problem"] == {
        "open": {"totalCount": 1, "edges": [{"node": {"title": "a"}}]},
        "working": {"edges": [{"node": {"title": "b", "status": "IN_PROGRESS"}}]},
        "page": {"edges": [{"node": {"title": "b"}}], "pageInfo": {"hasNextPage": True}},
    }


PAGE = """query($first: Int!) { problems(pagination: {first: $first}) { edges { node {
  number assignee { name } ci { name }
  incidents(pagination: {first: 5}) {
    totalCount edges { node { number title problem { number } } } }
} } } }"""
# set_config · the problem page · the linked incidents' pages · their counts · their
# problems (problems) · the incidents' fields (incidents) with their assignees (identity) and
# CIs (cmdb), read at once in one statement (db/merged_reads.py): the same whatever the
# number of problems and incidents.
STATEMENTS_PER_PAGE = 6


async def test_statements_do_not_grow_with_the_page(
    gateway: Gateway, cmdb: Subgraph, new_context: Any, statements: Any
) -> None:
    user = await ok(
        gateway,
        new_context(),
        'mutation { createUser(input: {name: "Ada", email: "ada@example.com", '
        'roles: ["operator"]}) { id } }',
    )
    ci = await create_ci(cmdb, "Server", "srv")
    for n in range(6):
        made = await ok(
            gateway,
            new_context(),
            CREATE_PROBLEM,
            input={"title": f"p{n}", "assigneeId": user["createUser"]["id"], "ciId": ci["id"]},
        )
        ids = [await incident(gateway, new_context, f"i{n}-{k}") for k in range(3)]
        await ok(gateway, new_context(), LINK, p=made["createProblem"]["id"], ids=ids)
    counts = {}
    for size in (2, 6):
        context = new_context()
        statements.reset()
        data = await ok(gateway, context, PAGE, first=size)
        nodes = [edge["node"] for edge in data["problems"]["edges"]]
        assert len(nodes) == size
        assert all(node["assignee"] == {"name": "Ada"} for node in nodes)
        assert all(node["ci"] == {"name": "srv"} for node in nodes)
        assert all(node["incidents"]["totalCount"] == 3 for node in nodes)
        assert all(
            edge["node"]["problem"]["number"] == node["number"]
            for node in nodes
            for edge in node["incidents"]["edges"]
        )
        counts[size] = statements.count
    assert counts == {2: STATEMENTS_PER_PAGE, 6: STATEMENTS_PER_PAGE}, statements.statements
