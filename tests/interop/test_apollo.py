"""Interoperability with Apollo's JavaScript federation: its composer and its gateway."""

from __future__ import annotations

from pathlib import Path

import httpx
from graphql import build_schema, lexicographic_sort_schema, print_schema

from opsgraph.catalog import SUBGRAPHS, load_schema, subgraph_sdl
from opsgraph.server import build_supergraph
from router.composition import SubgraphSource, compose, print_api_schema, print_supergraph
from tests.e2e.conftest import Server
from tests.e2e.test_server import NESTED
from tests.interop.conftest import run_node
from tests.router.fixture_directives import directive_sources


def normalised(sdl: str) -> str:
    """Types, fields, arguments and values sorted; one printer for both sides."""
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def test_our_subgraphs_compose_under_apollo_into_our_api_schema(node_modules: Path) -> None:
    services = [{"name": name, "sdl": subgraph_sdl(load_schema(name))} for name in SUBGRAPHS]

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


def test_apollo_gateway_serves_our_supergraph_like_our_router(
    node_modules: Path, split_subgraphs: dict[str, Server], remote_router: Server
) -> None:
    supergraph = compose(
        [
            SubgraphSource(name, subgraph_sdl(load_schema(name)), server.graphql)
            for name, server in split_subgraphs.items()
        ]
    )

    through_apollo = run_node(
        node_modules,
        "gateway.cjs",
        {"supergraphSdl": print_supergraph(supergraph), "query": NESTED},
    )
    ours = httpx.post(remote_router.graphql, json={"query": NESTED}, timeout=30).json()

    assert through_apollo.get("errors") is None
    assert through_apollo == ours
