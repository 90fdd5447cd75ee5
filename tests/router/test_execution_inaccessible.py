"""An ``@inaccessible`` enum value a subgraph returns never reaches the client."""

from __future__ import annotations

from typing import Any

from graphql import build_schema, graphql

from router.composition import SubgraphSource, compose
from router.execution import SubgraphRequest
from router.execution.transport import SubgraphResponse
from router.gateway import Gateway
from tests.router.fixture_subgraphs import RequestContext

SUBGRAPH_SDL = """
type Query { tickets: [Ticket!]! urgent: Ticket }
type Ticket { id: ID! status: Status severity: Severity! history: [Status!] }
enum Status { OPEN CLOSED QUARANTINED }
enum Severity { LOW HIGH EMBARGOED }
"""
FEDERATED_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@inaccessible"])
type Query { tickets: [Ticket!]! urgent: Ticket }
type Ticket { id: ID! status: Status severity: Severity! history: [Status!] }
enum Status { OPEN CLOSED QUARANTINED @inaccessible }
enum Severity { LOW HIGH EMBARGOED @inaccessible }
"""
ROOT = {
    "tickets": [
        {"id": "1", "status": "OPEN", "severity": "LOW", "history": ["OPEN"]},
        {"id": "2", "status": "QUARANTINED", "severity": "HIGH", "history": ["QUARANTINED"]},
    ],
    "urgent": {"id": "3", "status": "CLOSED", "severity": "EMBARGOED", "history": []},
}


class TicketsSubgraph:
    """The subgraph as graphql-core serves it: it knows (and returns) every value."""

    def __init__(self) -> None:
        self.schema = build_schema(SUBGRAPH_SDL)

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        result = await graphql(self.schema, request.query, root_value=ROOT)
        return SubgraphResponse(data=result.data, errors=[e.formatted for e in result.errors or ()])


async def run(query: str) -> dict[str, Any]:
    supergraph = compose([SubgraphSource("tickets", FEDERATED_SDL)])
    gateway = Gateway(supergraph, {"tickets": TicketsSubgraph()})
    return await gateway.execute(query, None, None, RequestContext())


def paths(result: dict[str, Any]) -> list[list[str | int]]:
    return [error["path"] for error in result.get("errors", [])]


async def test_a_hidden_value_on_a_nullable_field_becomes_null_with_an_error() -> None:
    result = await run("{ tickets { id status } }")

    assert result["data"] == {
        "tickets": [{"id": "1", "status": "OPEN"}, {"id": "2", "status": None}]
    }
    assert paths(result) == [["tickets", 1, "status"]]
    assert result["errors"][0]["message"] == "Invalid value found for field Ticket.status."


async def test_on_a_non_null_field_the_null_propagates_to_the_nullable_parent() -> None:
    result = await run("{ urgent { id severity } }")

    assert result["data"] == {"urgent": None}
    assert paths(result) == [["urgent", "severity"]]


async def test_in_a_list_of_non_null_values_the_list_becomes_null() -> None:
    result = await run("{ tickets { id history } }")

    assert result["data"] == {
        "tickets": [{"id": "1", "history": ["OPEN"]}, {"id": "2", "history": None}]
    }
    assert paths(result) == [["tickets", 1, "history", 0]]


async def test_visible_values_pass_through() -> None:
    result = await run("{ tickets { severity } urgent { status } }")

    assert result == {
        "data": {
            "tickets": [{"severity": "LOW"}, {"severity": "HIGH"}],
            "urgent": {"status": "CLOSED"},
        }
    }
