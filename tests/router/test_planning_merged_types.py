"""Planning below a field whose subgraphs declare different (compatible) types."""

from __future__ import annotations

from graphql import parse

from router.composition import SubgraphSource, compose
from router.planning.format import format_plan
from router.planning.planner import plan

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@shareable"])\n'
)


def test_a_subgraph_returning_a_member_is_asked_for_the_fragments_on_that_member() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "kennel",
                LINK + "type Query { pet: Dog @shareable } type Dog @shareable { name: String }",
            ),
            SubgraphSource(
                "zoo",
                LINK + "type Query { pet: Pet @shareable } union Pet = Dog | Cat "
                "type Dog @shareable { name: String } type Cat { lives: Int }",
            ),
        ]
    )
    query = "{ pet { ... on Dog { name } ... on Cat { lives } } }"

    assert format_plan(plan(supergraph, parse(query), None)) == (
        'QueryPlan {\n  Fetch(service: "kennel") { { pet { __typename name } } },\n}'
    )
