"""`opsgraph router` (the split deployment's router) applies the operation limits of the
settings, as `opsgraph serve` does: in production no introspection and no hints."""

from __future__ import annotations

import httpx

from opsgraph.domains import REGISTRY
from opsgraph.remote_router import SubgraphConfig, create_remote_app
from opsgraph.server import build_supergraph, operation_limits
from opsgraph.settings import Settings

# Nothing listens there: every case below is refused before any fetch.
CONFIGS = [SubgraphConfig(name, url="http://127.0.0.1:9/graphql") for name in REGISTRY.names]
STATUSES = "query($s: [IncidentStatus!]) { incidents(filter: {status: $s}) { totalCount } }"


async def refusals(settings: Settings) -> list[dict[str, object]]:
    app = create_remote_app(
        build_supergraph(), CONFIGS, graphiql=False, limits=operation_limits(settings)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        bodies = [
            (await client.post("/graphql", json=body)).json()
            for body in (
                {"query": "{ __schema { queryType { name } } }"},
                {"query": "{ incidnts { totalCount } }"},
                {"query": STATUSES, "variables": {"s": ["OPN"]}},
            )
        ]
    return [body["errors"][0] if "errors" in body else body for body in bodies]


async def test_production_hides_the_schema() -> None:
    introspection, typo, variable = await refusals(Settings(env="production"))
    assert introspection["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the "
        "field '__schema'."
    )
    assert typo["message"] == "Cannot query field 'incidnts' on type 'Query'."
    assert variable["message"] == (
        "Variable '$s' has invalid value at [0]: Value 'OPN' does not exist in "
        "'IncidentStatus' enum."
    )


async def test_development_keeps_the_hints() -> None:
    introspection, typo, variable = await refusals(Settings())
    assert introspection == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert "Did you mean 'incidents'" in str(typo["message"])
    assert "Did you mean the enum value 'OPEN'?" in str(variable["message"])
