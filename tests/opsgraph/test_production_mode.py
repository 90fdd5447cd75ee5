"""Production hides the schema: no introspection, no "did you mean" hints, no anonymous use."""

from __future__ import annotations

from pathlib import Path

from opsgraph.auth.setup import dev_issuer
from tests.support import running_app


async def test_production_hides_the_schema(
    database_url: str, tmp_path: Path, tenant_id: object
) -> None:
    async with running_app(database_url, tmp_path, OPSGRAPH_ENV="production") as (
        client,
        settings,
    ):
        token = dev_issuer(settings).mint(
            {"sub": "ops", "tenant_id": str(tenant_id), "roles": ["viewer"]}, 60
        )
        headers = {"authorization": f"Bearer {token}"}
        introspection = await client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=headers
        )
        assert introspection.status_code == 400
        assert introspection.json()["errors"][0]["extensions"]["code"] == (
            "GRAPHQL_VALIDATION_FAILED"
        )
        typo = await client.post(
            "/graphql", json={"query": "{ incidnts { totalCount } }"}, headers=headers
        )
        [error] = typo.json()["errors"]
        assert error["message"] == "Cannot query field 'incidnts' on type 'Query'."
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert "GraphiQL" not in page.text  # no GraphiQL in production


async def test_development_keeps_suggestions(
    database_url: str, tmp_path: Path, tenant_id: object
) -> None:
    async with running_app(database_url, tmp_path, OPSGRAPH_DEFAULT_TENANT=str(tenant_id)) as (
        client,
        _,
    ):
        typo = await client.post("/graphql", json={"query": "{ incidnts { totalCount } }"})
        assert "Did you mean 'incidents'" in typo.json()["errors"][0]["message"]
        schema = await client.post(
            "/graphql", json={"query": "{ __schema { queryType { name } } }"}
        )
        assert schema.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
