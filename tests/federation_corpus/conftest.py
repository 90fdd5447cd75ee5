"""The corpus served once per session, and Apollo's answers to all of it from one node run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.federation_corpus.case import Case, all_cases
from tests.federation_corpus.server import serving
from tests.interop.conftest import node_modules, run_node

__all__ = ["node_modules"]  # a fixture, re-exported for this directory's tests


@pytest.fixture(scope="session")
def corpus() -> list[Case]:
    return all_cases()


@pytest.fixture(scope="session")
def corpus_url(corpus: list[Case]) -> Iterator[str]:
    with serving(corpus) as url:
        yield url


@pytest.fixture(scope="session")
def apollo_answers(node_modules: Path, corpus: list[Case], corpus_url: str) -> dict[str, Any]:
    """Per case: Apollo's composition errors, or its gateway's answer to each query."""
    payload = [
        {
            "name": case.name,
            "subgraphs": [
                {"name": name, "url": f"{corpus_url}/{case.name}/{name}", "sdl": subgraph.sdl}
                for name, subgraph in case.subgraphs.items()
            ],
            "queries": [
                {"query": query.query, "variables": dict(query.variables)}
                for query in case.operations()
            ],
        }
        for case in corpus
    ]
    answers: dict[str, Any] = run_node(node_modules, "corpus.cjs", payload)
    return answers
