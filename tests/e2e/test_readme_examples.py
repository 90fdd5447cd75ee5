"""Every ```graphql block of the README runs as written against `make run`'s demo: a real
`opsgraph serve --demo` on a database of its own. Queries and mutations must answer without
errors; a subscription is opened over graphql-transport-ws and must deliver an event once a
mutation that matches it is made (TRIGGERS, by the subscription's root field: a new example
on a subscription without one fails here until it gets one).

An example that acts on one incident names it by a placeholder the reader fills in,
`"<id of an ON_HOLD incident>"`; the test puts in the id of the demo's first incident in that
status, as the reader would from a list. Likewise `"<id of the Network Operations team>"`
(a demo team by name) and `"<id of the demo webhook>"`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse

from tests.conftest import fresh_database
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.ws import ws_client
from tests.support import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```graphql\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r'"<id of an? ([A-Z_]+) incident>"')
TEAM = re.compile(r'"<id of the ([A-Za-z ]+) team>"')
TEAM_NAMED = """query($name: String!) {
  teams(filter: {search: $name}, pagination: {first: 10}) { edges { node { id name } } }
}"""
DEMO_WEBHOOK = '"<id of the demo webhook>"'
FIRST_IN_STATUS = """query($status: IncidentStatus!) {
  incidents(filter: {status: [$status]}, pagination: {first: 1}) { edges { node { id } } }
}"""
CREATE_CRITICAL_INCIDENT = """mutation {
  createIncident(input: {title: "README example", impact: HIGH, urgency: HIGH}) { id }
}"""
CREATE_SERVER = """mutation {
  createConfigurationItem(input: {className: "Server", name: "readme-example"}) { id }
}"""
# A mutation whose event each subscription root field of the README's examples receives.
TRIGGERS = {
    "incidentEvents": CREATE_CRITICAL_INCIDENT,
    "newIncident": CREATE_CRITICAL_INCIDENT,
    "incidentCountsChanged": CREATE_CRITICAL_INCIDENT,
    "ciEvents": CREATE_SERVER,
}


def examples() -> list[str]:
    return [match.group(1) for match in BLOCK.finditer(README.read_text())]


def _operation(text: str) -> tuple[str, str]:
    """The example's operation type and first root field."""
    (operation,) = (d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode))
    field = operation.selection_set.selections[0]
    return operation.operation.value, field.name.value  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def demo(server_url: str) -> Iterator[Server]:
    """`make run`'s server: `opsgraph serve --demo`, the demo tenant the default one."""
    for url in fresh_database(server_url, "opsgraph_readme"):
        env = {"DATABASE_URL": url, "OPSGRAPH_DEFAULT_TENANT": "demo"}
        server = start_server(["serve", "--demo"], env, free_port())
        yield server
        stop_server(server)


def test_the_readme_has_examples_of_each_kind() -> None:
    kinds = {_operation(text)[0] for text in examples()}
    assert {"query", "subscription"} <= kinds


@pytest.mark.parametrize("number", range(len(examples())), ids=lambda n: f"block{n + 1}")
async def test_the_readme_example_runs_against_the_demo(demo: Server, number: int) -> None:
    text = await _filled(demo, examples()[number])
    kind, field = _operation(text)
    if kind != "subscription":
        answer = await _post(demo, text)
        assert not answer.get("errors"), answer
        assert answer["data"][field] is not None, answer
        return
    assert field in TRIGGERS, f"no trigger for a subscription on {field}: add one to TRIGGERS"
    async with ws_client(demo.graphql) as client:
        await client.subscribe("example", text)
        for _ in range(3):  # a change made before the subscription ran is not its event
            await asyncio.sleep(0.5)
            triggered = await _post(demo, TRIGGERS[field])
            assert not triggered.get("errors"), triggered
            try:
                payload = await client.next_payload("example", timeout=10)
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError(f"no event for {field} after three matching mutations")
    assert not payload.get("errors"), payload
    assert payload["data"][field] is not None


async def _filled(server: Server, text: str) -> str:
    """The example with each placeholder replaced by the id it describes."""
    for status in dict.fromkeys(PLACEHOLDER.findall(text)):
        answer = await _post(server, FIRST_IN_STATUS, {"status": status})
        (edge,) = answer["data"]["incidents"]["edges"]
        text = text.replace(f'"<id of an {status} incident>"', f'"{edge["node"]["id"]}"')
        text = text.replace(f'"<id of a {status} incident>"', f'"{edge["node"]["id"]}"')
    for name in dict.fromkeys(TEAM.findall(text)):
        answer = await _post(server, TEAM_NAMED, {"name": name})
        (id,) = [
            e["node"]["id"] for e in answer["data"]["teams"]["edges"] if e["node"]["name"] == name
        ]
        text = text.replace(f'"<id of the {name} team>"', f'"{id}"')
    if DEMO_WEBHOOK in text:
        answer = await _post(server, "{ webhooks { id } }")
        text = text.replace(DEMO_WEBHOOK, f'"{answer["data"]["webhooks"][0]["id"]}"')
    return text


async def _post(
    server: Server, text: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(server.graphql, json={"query": text, "variables": variables})
    return response.json()  # type: ignore[no-any-return]
