"""Fixtures for router tests: the composed fixture supergraph and gateways over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from router.composition import Supergraph, compose
from router.execution import SubgraphRequest, Transport
from router.gateway import Gateway
from tests.router.fixture_subgraphs import (
    RECORDER,
    SCHEMAS,
    CountingTransport,
    Recorder,
    in_process,
    sources,
)


@pytest.fixture(scope="session")
def supergraph() -> Supergraph:
    """accounts + products + reviews, composed once per run."""
    return compose(sources())


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """The fixture subgraphs' reference log, empty at the start of the test."""
    RECORDER.reset()
    yield RECORDER


@pytest.fixture
def journal() -> list[tuple[str, SubgraphRequest]]:
    """Every (subgraph, request) the counting transports sent, in order."""
    return []


@pytest.fixture
def transports(journal: list[tuple[str, SubgraphRequest]]) -> dict[str, CountingTransport]:
    """Counting in-process transports, one per fixture subgraph."""
    return {
        name: CountingTransport(name, in_process(schema), journal)
        for name, schema in SCHEMAS.items()
    }


@pytest.fixture
def gateway(supergraph: Supergraph, transports: dict[str, CountingTransport]) -> Gateway:
    """A gateway running every fixture subgraph in-process."""
    routed: dict[str, Transport] = dict(transports)
    return Gateway(supergraph, routed)
