"""Apollo's composed supergraph SDL, read by our router, is the supergraph we compose from
the same subgraphs: same API schema, same routing facts, same supergraph SDL printed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from opsgraph.domains import REGISTRY
from opsgraph.in_process import subgraph_sdl
from router.composition import SubgraphSource, compose, print_api_schema, print_supergraph
from router.composition.supergraph_reader import read_supergraph
from tests.interop.conftest import run_node
from tests.router.fixture_access import access_sources
from tests.router.fixture_directives import directive_sources
from tests.router.fixture_interfaces import interface_object_sources
from tests.router.test_supergraph_reader import planning_facts


def opsgraph_sources() -> list[SubgraphSource]:
    return [SubgraphSource(domain.name, subgraph_sdl(domain.schema)) for domain in REGISTRY.domains]


@pytest.mark.parametrize(
    "sources",
    [opsgraph_sources, directive_sources, access_sources, interface_object_sources],
    ids=["opsgraph", "directives", "access", "interfaces"],
)
def test_apollos_supergraph_reads_into_the_supergraph_we_compose(
    node_modules: Path, sources: Callable[[], list[SubgraphSource]]
) -> None:
    subgraphs = sources()
    composed = run_node(
        node_modules, "compose.cjs", [{"name": s.name, "sdl": s.sdl} for s in subgraphs]
    )
    assert composed.get("errors") is None

    from_apollo = read_supergraph(composed["supergraphSdl"])

    ours = compose(subgraphs)
    assert print_api_schema(from_apollo) == print_api_schema(ours)
    assert planning_facts(from_apollo) == planning_facts(ours)
    assert from_apollo.access == ours.access
    assert from_apollo.inaccessible == ours.inaccessible
    assert print_supergraph(from_apollo) == print_supergraph(ours)
