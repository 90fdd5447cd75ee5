"""Each corpus case composed and queried by Apollo (composition + gateway) and by us.

Both must accept or both refuse (with a common error code); when both accept, the API
schemas must have the same shape and every query the same data and error paths. Our router
runs in HTTP mode: composed from the subgraphs' ``_service`` answers, fetching over HTTP, the
requests sent through its ASGI app.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from opsgraph.remote_router import SubgraphConfig, compose_remote, create_remote_app
from router.composition import CompositionError
from tests.federation_corpus.case import Case, all_cases
from tests.federation_corpus.shapes import answer_shape, schema_shape, shape_from_sdl

CASES = all_cases()


async def _our_answers(case: Case, corpus_url: str) -> dict[str, Any]:
    configs = [
        SubgraphConfig(name, url=f"{corpus_url}/{case.name}/{name}") for name in case.subgraphs
    ]
    try:
        supergraph = await compose_remote(configs)
    except CompositionError as error:
        return {"errors": [f"{issue.code}: {issue.message}" for issue in error.issues]}
    app = create_remote_app(supergraph, configs)
    results = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        for operation in case.operations():
            response = await client.post(
                "/graphql", json={"query": operation.query, "variables": dict(operation.variables)}
            )
            results.append(response.json())
    return {"results": results, "schema": schema_shape(supergraph.schema)}


def _codes(errors: list[str]) -> set[str]:
    return {error.split(":", 1)[0] for error in errors}


def disagreement(case: Case, theirs: dict[str, Any], ours: dict[str, Any]) -> str | None:
    """How our answer differs from Apollo's, or ``None`` when they agree."""
    if "errors" in theirs or "errors" in ours:
        if "errors" not in theirs:
            return f"we refuse what Apollo composes: {ours['errors']}"
        if "errors" not in ours:
            return f"we compose what Apollo refuses: {theirs['errors']}"
        if not _codes(theirs["errors"]) & _codes(ours["errors"]):
            return f"both refuse, Apollo with {theirs['errors']}, we with {ours['errors']}"
        return None
    their_schema = shape_from_sdl(theirs["apiSchema"])
    if their_schema != ours["schema"]:
        differing = sorted(
            name
            for name in their_schema.keys() | ours["schema"].keys()
            if their_schema.get(name) != ours["schema"].get(name)
        )
        return "API schemas differ: " + "; ".join(
            f"{name}: Apollo {their_schema.get(name)} / ours {ours['schema'].get(name)}"
            for name in differing
        )
    for operation, their, our in zip(
        case.operations(), theirs["results"], ours["results"], strict=True
    ):
        if answer_shape(their) != answer_shape(our):
            return f"{operation.query}\n  Apollo: {their}\n  ours:   {our}"
    return None


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_agrees_with_apollo(
    case: Case, apollo_answers: dict[str, Any], corpus_url: str
) -> None:
    ours = asyncio.run(_our_answers(case, corpus_url))
    found = disagreement(case, apollo_answers[case.name], ours)
    if case.difference is None:
        assert found is None, found
    else:
        assert found is not None, f"agrees with Apollo now; drop the difference: {case.difference}"
