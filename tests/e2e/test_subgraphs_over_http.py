"""Each subgraph alone over HTTP: `_service`, `_entities`, and the router in HTTP mode
giving the same answers as in-process; an upload carried by the split router to the
incidents subgraph as a multipart request, and its download through the router."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from opsgraph.server import build_supergraph
from router.execution import HttpTransport
from router.gateway import Gateway
from tests.e2e.conftest import Server, start_server, stop_server, subgraphs_file
from tests.e2e.test_attachments import PNG, bearer, post, upload
from tests.e2e.test_server import NESTED
from tests.support import free_port


def gql(server: Server, query: str, **variables: object) -> dict:  # type: ignore[type-arg]
    response = httpx.post(server.graphql, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_service_and_entities(subgraph_servers: dict[str, Server]) -> None:
    identity, incidents = subgraph_servers["identity"], subgraph_servers["incidents"]
    sdl = gql(incidents, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    assert 'type Incident implements Node @key(fields: "id")' in sdl
    page = gql(
        incidents,
        # The oldest: mostly seeded ones, with reporters (other tests add incidents without,
        # some dated earlier, as alerts that started long ago are).
        "{ incidents(pagination: {first: 100}, orderBy: {direction: ASC}) {"
        " edges { node { id reporter { id } } } } }",
    )["data"]["incidents"]["edges"]
    reporters = [
        {"__typename": "User", "id": e["node"]["reporter"]["id"]}
        for e in page
        if e["node"]["reporter"]  # incidents created by other tests have none
    ]
    assert len(reporters) >= 2
    entities = gql(
        identity,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }",
        r=reporters,
    )
    assert [e["id"] for e in entities["data"]["_entities"]] == [r["id"] for r in reporters]
    assert all(e["name"] for e in entities["data"]["_entities"])


async def test_router_over_http_matches_in_process(
    server: Server, subgraph_servers: dict[str, Server]
) -> None:
    async with httpx.AsyncClient() as client:
        transports = {
            name: HttpTransport(running.graphql, 10.0, client)
            for name, running in subgraph_servers.items()
        }
        gateway = Gateway(build_supergraph(), transports)

        class Caller:
            headers: dict[str, str] = {}

        over_http = await gateway.execute(NESTED, None, None, Caller())
    in_process = httpx.post(server.graphql, json={"query": NESTED}).json()
    assert "errors" not in over_http
    assert over_http == in_process


def test_a_subgraph_alone_checks_references_with_its_peers(
    subgraph_servers: dict[str, Server],
) -> None:
    identity, incidents = subgraph_servers["identity"], subgraph_servers["incidents"]
    user = gql(identity, "{ users(pagination: {first: 1}) { edges { node { id } } } }")
    user_id = user["data"]["users"]["edges"][0]["node"]["id"]
    create = (
        'mutation($u: ID!) { createIncident(input: {title: "split", assigneeId: $u}) '
        "{ assignee { id } } }"
    )

    stored = gql(incidents, create, u=user_id)
    refused = gql(incidents, create, u="00000000-0000-4000-8000-00000000beef")

    assert stored == {"data": {"createIncident": {"assignee": {"id": user_id}}}}
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["NOT_FOUND"]


def test_a_subgraph_alone_checks_mentions_with_its_peers(
    subgraph_servers: dict[str, Server],
) -> None:
    """The mention syntax carries ids, so a split incidents subgraph checks them with the
    identity subgraph like any reference (issue 19)."""
    identity, incidents = subgraph_servers["identity"], subgraph_servers["incidents"]
    user = gql(identity, "{ users(pagination: {first: 1}) { edges { node { id } } } }")
    user_id = user["data"]["users"]["edges"][0]["node"]["id"]
    incident = gql(incidents, 'mutation { createIncident(input: {title: "mention"}) { id } }')
    comment = (
        "mutation($i: ID!, $b: String!) { addComment(incidentId: $i, input: {body: $b}) "
        "{ mentions { id } } }"
    )
    id = incident["data"]["createIncident"]["id"]

    stored = gql(incidents, comment, i=id, b=f"cc @[Someone]({user_id})")
    refused = gql(incidents, comment, i=id, b="cc @[Ghost](00000000-0000-4000-8000-00000000beef)")

    assert stored == {"data": {"addComment": {"mentions": [{"id": user_id}]}}}
    assert [e["extensions"]["field"] for e in refused["errors"]] == ["input.body.mentions[0]"]


BLAST_RADIUS = """query($id: ID!) { configurationItem(id: $id) {
  name ciClass { name }
  openIncidents { number title priority ci { name } affectedCis { name } team { name } }
  incidents(filter: {status: [OPEN, CANCELLED]}, pagination: {first: 5}) {
    totalCount edges { node { title status } } }
} }"""


async def test_incidents_and_cis_both_ways_match_in_process(
    server: Server, subgraph_servers: dict[str, Server]
) -> None:
    """The incidents subgraph's fields on the CMDB's entity, and the CMDB's fields of an
    incident's CIs, give the same answer through the router over HTTP as in-process."""
    made = gql(
        server,
        'mutation { a: createConfigurationItem(input: {className: "Server", name: "split-a"}) '
        '{ id } b: createConfigurationItem(input: {className: "BusinessService", '
        'name: "split-b"}) { id } }',
    )["data"]
    a, b = made["a"]["id"], made["b"]["id"]
    create = (
        "mutation($ci: ID!, $affected: [ID!]!) { createIncident(input: "
        '{title: "split link", ciId: $ci, affectedCiIds: $affected}) { id } }'
    )
    # Created through the incidents subgraph alone: it checks the CI ids with cmdb (--peers).
    stored = gql(subgraph_servers["incidents"], create, ci=a, affected=[b])
    assert "errors" not in stored, stored
    refused = gql(subgraph_servers["incidents"], create, ci=a, affected=[str(uuid.uuid4())])
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["NOT_FOUND"]

    async with httpx.AsyncClient() as client:
        transports = {
            name: HttpTransport(running.graphql, 10.0, client)
            for name, running in subgraph_servers.items()
        }
        gateway = Gateway(build_supergraph(), transports)

        class Caller:
            headers: dict[str, str] = {}

        over_http = await gateway.execute(BLAST_RADIUS, {"id": b}, None, Caller())
    in_process = httpx.post(server.graphql, json={"query": BLAST_RADIUS, "variables": {"id": b}})

    assert "errors" not in over_http, over_http
    assert over_http == in_process.json()
    item = over_http["data"]["configurationItem"]
    assert item["openIncidents"][0]["ci"] == {"name": "split-a"}
    assert item["openIncidents"][0]["affectedCis"] == [{"name": "split-b"}]
    assert item["incidents"]["totalCount"] == 1


PROBLEM_AND_INCIDENTS = """query($problem: ID!, $incident: ID!) {
  problem(id: $problem) { number
    incidents { totalCount edges { node { title status problem { number } } } } }
  incident(id: $incident) { title problem { number title } }
}"""


async def test_problems_and_incidents_both_ways_match_in_process(
    server: Server, subgraph_servers: dict[str, Server]
) -> None:
    """The problems subgraph served alone links incidents (their ids checked with the
    incidents subgraph over HTTP), and the router over HTTP answers `Problem.incidents` and
    `Incident.problem` as the in-process server does; unlinking shows in both directions."""
    problems = subgraph_servers["problems"]
    made = gql(
        server,
        'mutation { a: createIncident(input: {title: "split a"}) { id } '
        'b: createIncident(input: {title: "split b"}) { id } '
        'p: createProblem(input: {title: "split problem"}) { id } }',
    )["data"]
    a, b, problem = made["a"]["id"], made["b"]["id"], made["p"]["id"]
    link = (
        "mutation($p: ID!, $ids: [ID!]!) { linkIncidents(problemId: $p, incidentIds: $ids) "
        "{ number } }"
    )
    linked = gql(problems, link, p=problem, ids=[a, b])
    refused = gql(problems, link, p=problem, ids=[str(uuid.uuid4())])
    assert "errors" not in linked, linked
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["NOT_FOUND"]

    async with httpx.AsyncClient() as client:
        transports = {
            name: HttpTransport(running.graphql, 10.0, client)
            for name, running in subgraph_servers.items()
        }
        gateway = Gateway(build_supergraph(), transports)

        class Caller:
            headers: dict[str, str] = {}

        variables = {"problem": problem, "incident": a}
        over_http = await gateway.execute(PROBLEM_AND_INCIDENTS, variables, None, Caller())
        unlinked = await gateway.execute(
            "mutation($p: ID!, $i: ID!) { unlinkIncident(problemId: $p, incidentId: $i) "
            "{ incidents { edges { node { title } } } } }",
            {"p": problem, "i": a},
            None,
            Caller(),
        )
        after = await gateway.execute(PROBLEM_AND_INCIDENTS, variables, None, Caller())
    in_process = httpx.post(
        server.graphql, json={"query": PROBLEM_AND_INCIDENTS, "variables": variables}
    )

    number = linked["data"]["linkIncidents"]["number"]
    assert "errors" not in over_http, over_http
    assert over_http["data"]["problem"]["incidents"]["totalCount"] == 2
    titles = {e["node"]["title"] for e in over_http["data"]["problem"]["incidents"]["edges"]}
    assert titles == {"split a", "split b"}
    assert over_http["data"]["incident"]["problem"] == {"number": number, "title": "split problem"}
    assert unlinked["data"]["unlinkIncident"]["incidents"]["edges"] == [
        {"node": {"title": "split b"}}
    ]
    assert after["data"]["incident"]["problem"] is None
    assert after == in_process.json()


def test_an_upload_through_the_split_deployment(
    server_env: dict[str, str], subgraph_servers: dict[str, Server], tmp_path: Path
) -> None:
    config = subgraphs_file(
        tmp_path / "subgraphs.toml",
        {name: running.graphql for name, running in subgraph_servers.items()},
    )
    # The router's own HTTP guard: bodies past its limits are refused before it reads them.
    limits = {"OPSGRAPH_MAX_BODY_BYTES": "4096", "OPSGRAPH_MAX_ATTACHMENT_BYTES": "4096"}
    router = start_server(
        ["router", "--config", str(config)], {**server_env, **limits}, free_port()
    )
    try:
        page = post(router, "{ incidents(pagination: {first: 1}) { edges { node { id } } } }", {})
        incident_id = page["data"]["incidents"]["edges"][0]["node"]["id"]
        # Each process is its own token issuer: the incidents subgraph checks this token.
        incidents = subgraph_servers["incidents"]
        admin = bearer(incidents, server_env, "admin")
        answer = upload(router, admin, incident_id, PNG, name="../dir/picture.bin").json()
        assert "errors" not in answer, answer
        added = answer["data"]["addIncidentAttachment"]
        assert (added["filename"], added["contentType"]) == ("picture.bin", "image/png")
        # The incidents subgraph's process serves its files; the router forwards the link.
        download = httpx.get(router.url + added["url"], headers=admin)
        direct = httpx.get(incidents.url + added["url"], headers=admin)
        refused = httpx.get(router.url + added["url"])
        too_large = upload(router, admin, incident_id, PNG + bytes(16_384))
        cross_site = httpx.post(
            router.graphql,
            data={"operations": "{}", "map": "{}"},
            files={"0": ("x.txt", b"x", "text/plain")},
        )
    finally:
        stop_server(router)
    assert download.status_code == 200, download.text
    assert download.content == direct.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith('attachment; filename="picture.bin"')
    assert refused.status_code == 401
    assert too_large.status_code == 413, too_large.text
    assert cross_site.status_code == 400 and "Cross-Site" in cross_site.text
