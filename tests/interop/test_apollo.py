"""Interoperability with Apollo's JavaScript federation: its composer and its gateway."""

from __future__ import annotations

from pathlib import Path

import httpx
from graphql import (
    FieldDefinitionNode,
    ObjectTypeDefinitionNode,
    build_schema,
    lexicographic_sort_schema,
    parse,
    print_ast,
    print_schema,
)

from opsgraph import deployment
from opsgraph.artefacts import ROOT
from opsgraph.domains import REGISTRY
from opsgraph.in_process import subgraph_sdl
from opsgraph.server import build_supergraph
from router.composition import compose, print_api_schema, print_supergraph
from tests.e2e.conftest import Server
from tests.e2e.test_server import NESTED
from tests.interop.conftest import ROUTER_SECRET, run_node
from tests.router.fixture_access import access_sources
from tests.router.fixture_directives import directive_sources


def normalised(sdl: str) -> str:
    """Types, fields, arguments and values sorted; one printer for both sides."""
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def test_our_subgraphs_compose_under_apollo_into_our_api_schema(node_modules: Path) -> None:
    services = [
        {"name": domain.name, "sdl": subgraph_sdl(domain.schema)} for domain in REGISTRY.domains
    ]

    composed = run_node(node_modules, "compose.cjs", services)

    assert composed.get("errors") is None
    assert normalised(composed["apiSchema"]) == normalised(print_api_schema(build_supergraph()))


def test_directive_fixture_composes_under_apollo_into_our_api_schema(node_modules: Path) -> None:
    services = [{"name": source.name, "sdl": source.sdl} for source in directive_sources()]

    composed = run_node(node_modules, "compose.cjs", services)

    assert composed.get("errors") is None
    assert normalised(composed["apiSchema"]) == normalised(
        print_api_schema(compose(directive_sources()))
    )


def access_directives(supergraph_sdl: str) -> dict[str, list[str]]:
    """``@authenticated``/``@requiresScopes`` per object type and field of a supergraph SDL."""
    found: dict[str, list[str]] = {}
    for definition in parse(supergraph_sdl).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        elements: list[tuple[str, ObjectTypeDefinitionNode | FieldDefinitionNode]] = [
            (definition.name.value, definition),
            *((f"{definition.name.value}.{f.name.value}", f) for f in definition.fields or ()),
        ]
        for coordinate, element in elements:
            marks = [
                print_ast(directive)
                for directive in element.directives or ()
                if directive.name.value in ("authenticated", "requiresScopes")
            ]
            if marks:
                found[coordinate] = marks
    return found


def test_access_directives_merge_like_apollo(node_modules: Path) -> None:
    services = [{"name": source.name, "sdl": source.sdl} for source in access_sources()]

    composed = run_node(node_modules, "compose.cjs", services)

    assert composed.get("errors") is None
    ours = print_supergraph(compose(access_sources()))
    assert access_directives(ours) == access_directives(composed["supergraphSdl"])
    assert normalised(composed["apiSchema"]) == normalised(
        print_api_schema(compose(access_sources()))
    )


def test_our_subgraphs_scopes_reach_the_supergraph_like_apollo(node_modules: Path) -> None:
    services = [
        {"name": domain.name, "sdl": subgraph_sdl(domain.schema)} for domain in REGISTRY.domains
    ]

    composed = run_node(node_modules, "compose.cjs", services)

    ours = access_directives(print_supergraph(build_supergraph()))
    assert ours["Mutation.createIncident"] == ['@requiresScopes(scopes: [["incident:create"]])']
    assert ours == access_directives(composed["supergraphSdl"])


def shipped_for_apollo(split_subgraphs: dict[str, Server]) -> str:
    """The shipped variant for @apollo/gateway, which refuses any `for: SECURITY` feature (the
    subgraphs check every permission themselves), as it is: only its routing URLs point at
    this test's subgraph processes instead of the split deployment's ports."""
    shipped = (ROOT / "schema" / "supergraph.apollo-gateway.graphql").read_text()
    for name, server in split_subgraphs.items():
        shipped = shipped.replace(deployment.url(REGISTRY, name), server.graphql)
    return shipped


def test_apollo_gateway_serves_our_supergraph_like_our_router(
    node_modules: Path, split_subgraphs: dict[str, Server], remote_router: Server
) -> None:
    through_apollo = run_node(
        node_modules,
        "gateway.cjs",
        {
            "supergraphSdl": shipped_for_apollo(split_subgraphs),
            "query": NESTED,
            "routerSecret": ROUTER_SECRET,
        },
    )
    ours = httpx.post(remote_router.graphql, json={"query": NESTED}, timeout=30).json()

    assert through_apollo.get("errors") is None
    assert through_apollo == ours


CI_INCIDENTS = """{ configurationItemByName(className: "Server", name: "interop-web") {
  name ciClass { name }
  openIncidents { title priority ci { name } affectedCis { name ciClass { name } } }
  incidents(pagination: {first: 5}) { totalCount edges { node { title status } } }
} }"""


def test_apollo_gateway_joins_incidents_and_cis_like_our_router(
    node_modules: Path,
    split_subgraphs: dict[str, Server],
    remote_router: Server,
    in_process_server: Server,
) -> None:
    """Three subgraphs: the CMDB's entity with the fields the incidents subgraph adds to it
    (an extension), and the incidents' CIs back from the CMDB."""

    def post(query: str) -> dict:  # type: ignore[type-arg]
        # Written in-process (the split subgraphs here run without --peers to check ids with).
        answer = httpx.post(in_process_server.graphql, json={"query": query}, timeout=30).json()
        assert "errors" not in answer, answer
        return answer["data"]  # type: ignore[no-any-return]

    made = post(
        'mutation { web: createConfigurationItem(input: {className: "Server", '
        'name: "interop-web"}) { id } shop: createConfigurationItem(input: {className: '
        '"BusinessService", name: "interop-shop"}) { id } }'
    )
    post(
        'mutation { createIncident(input: {title: "interop outage", urgency: HIGH, '
        f'ciId: "{made["web"]["id"]}", affectedCiIds: ["{made["shop"]["id"]}"]}}) {{ id }} }}'
    )

    through_apollo = run_node(
        node_modules,
        "gateway.cjs",
        {
            "supergraphSdl": shipped_for_apollo(split_subgraphs),
            "query": CI_INCIDENTS,
            "routerSecret": ROUTER_SECRET,
        },
    )
    ours = httpx.post(remote_router.graphql, json={"query": CI_INCIDENTS}, timeout=30).json()

    assert through_apollo.get("errors") is None
    assert through_apollo == ours
    item = ours["data"]["configurationItemByName"]
    assert item["openIncidents"] == [
        {
            "title": "interop outage",
            "priority": "HIGH",
            "ci": {"name": "interop-web"},
            "affectedCis": [{"name": "interop-shop", "ciClass": {"name": "BusinessService"}}],
        }
    ]
