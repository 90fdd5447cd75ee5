"""Authentication on the request path, through the real app with production settings:
no anonymous access, tokens checked, permissions and PII masking applied per principal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import any_, literal, select

from db.engine import create_engine, session_factory
from db.tables import identity
from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.keys import DiscoveredKeys
from opsgraph.auth.setup import dev_issuer
from opsgraph.auth.tokens import TokenPolicy, TokenValidator
from opsgraph.seed import seed_demo
from opsgraph.settings import Settings
from tests.support import running_app

CREATE = 'mutation { createIncident(input: {title: "Auth test"}) { id reporter { id } } }'


@dataclass
class Deployment:
    client: httpx.AsyncClient
    settings: Settings
    issuer: DevIssuer
    tenant: uuid.UUID
    other_tenant: str
    users: dict[str, Any]

    def token(self, role: str, tenant: uuid.UUID | None = None, **claims: Any) -> str:
        user = self.users[role]
        return self.issuer.mint(
            {
                "sub": str(user.id),
                "tenant_id": str(tenant or self.tenant),
                "roles": [role],
                **claims,
            },
            300,
        )

    async def post(self, query: str, token: str | None = None, **headers: str) -> httpx.Response:
        if token:
            headers["authorization"] = f"Bearer {token}"
        return await self.client.post("/graphql", json={"query": query}, headers=headers)


@pytest.fixture(scope="module")
async def deployment(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    slug, other = f"auth-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    data_dir = Path(tmp_path_factory.mktemp("data"))
    async with running_app(database_url, data_dir, OPSGRAPH_ENV="production") as (client, settings):
        owner = create_engine(database_url)
        async with session_factory(owner)() as session, session.begin():
            await seed_demo(session, slug=slug, incident_count=5)
            await seed_demo(session, slug=other, incident_count=5)
        async with session_factory(owner)() as session:
            tenant = await session.scalar(
                select(identity.Tenant.id).where(identity.Tenant.slug == slug)
            )
            users = {
                role: (
                    await session.scalars(
                        select(identity.User)
                        .where(
                            identity.User.tenant_id == tenant,
                            literal(role) == any_(identity.User.roles),
                        )
                        .limit(1)
                    )
                ).one()
                for role in ("admin", "operator", "viewer")
            }
        await owner.dispose()
        yield Deployment(client, settings, dev_issuer(settings), tenant, other, users)


async def incident_count(deployment: Deployment) -> int:
    response = await deployment.post("{ incidents { totalCount } }", deployment.token("admin"))
    return int(response.json()["data"]["incidents"]["totalCount"])


async def test_no_token_is_unauthenticated(deployment: Deployment) -> None:
    response = await deployment.post("{ incidents { totalCount } }")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt"])
async def test_malformed_authorization_is_unauthenticated(
    deployment: Deployment, authorization: str
) -> None:
    response = await deployment.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": authorization}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_reads_with_masked_pii_but_cannot_write(deployment: Deployment) -> None:
    before = await incident_count(deployment)
    viewer = deployment.token("viewer")
    read = await deployment.post(
        "{ incidents(pagination: {first: 5}) { edges { node { reporter { email phone } } } } }",
        viewer,
    )
    reporters = [e["node"]["reporter"] for e in read.json()["data"]["incidents"]["edges"]]
    assert reporters and all("***@demo.example" in r["email"] for r in reporters)
    assert all(r["phone"].endswith(r["phone"][-2:]) and "*" in r["phone"] for r in reporters)
    write = await deployment.post(CREATE, viewer)
    assert write.status_code == 200 and write.json()["data"] is None
    # Refused by the router from the field's @requiresScopes: no serviceName, no subgraph call.
    assert write.json()["errors"] == [
        {
            "message": "Missing permission incident:create for Mutation.createIncident",
            "path": ["createIncident"],
            "extensions": {"code": "FORBIDDEN", "requiredScopes": [["incident:create"]]},
        }
    ]
    assert await incident_count(deployment) == before


async def test_allowed_mutation_runs_beside_a_refused_one(deployment: Deployment) -> None:
    before = await incident_count(deployment)
    mutation = (
        'mutation { createIncident(input: {title: "Beside a refusal"}) { title } '
        'createTeam(input: {name: "Not for operators"}) { id } }'
    )

    response = await deployment.post(mutation, deployment.token("operator"))

    # createTeam is non-null, so its null empties `data`; createIncident still ran.
    assert response.json() == {
        "errors": [
            {
                "message": "Missing permission identity:manage for Mutation.createTeam",
                "path": ["createTeam"],
                "extensions": {"code": "FORBIDDEN", "requiredScopes": [["identity:manage"]]},
            }
        ],
        "data": None,
    }
    assert await incident_count(deployment) == before + 1
    teams = await deployment.post(
        '{ teams(filter: {search: "Not for operators"}) { totalCount } }',
        deployment.token("admin"),
    )
    assert teams.json()["data"]["teams"]["totalCount"] == 0


async def test_operator_writes_as_itself_and_sees_pii(deployment: Deployment) -> None:
    operator = deployment.users["operator"]
    created = await deployment.post(CREATE, deployment.token("operator"))
    assert created.json()["data"]["createIncident"]["reporter"] == {"id": str(operator.id)}
    me = await deployment.post(
        f'{{ user(id: "{operator.id}") {{ email }} }}', deployment.token("operator")
    )
    assert me.json()["data"]["user"]["email"] == operator.email


async def test_identity_management_needs_admin(deployment: Deployment) -> None:
    mutation = 'mutation { createTeam(input: {name: "Shadow IT"}) { name } }'
    refused = await deployment.post(mutation, deployment.token("operator"))
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    allowed = await deployment.post(mutation, deployment.token("admin"))
    assert allowed.json()["data"]["createTeam"] == {"name": "Shadow IT"}


async def test_a_token_cannot_be_pointed_at_another_tenant(deployment: Deployment) -> None:
    response = await deployment.post(
        "{ incidents { totalCount } }",
        deployment.token("admin"),
        **{"x-opsgraph-tenant": deployment.other_tenant},
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_token_for_an_unknown_tenant_is_refused(deployment: Deployment) -> None:
    token = deployment.token("admin", tenant=uuid.uuid4())
    response = await deployment.post("{ incidents { totalCount } }", token)
    assert response.status_code == 401


async def test_discovery_serves_the_keys_tokens_are_checked_with(deployment: Deployment) -> None:
    discovery = (await deployment.client.get("/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == deployment.settings.token_issuer
    keys = DiscoveredKeys("http://testserver", deployment.client)
    validator = TokenValidator(
        TokenPolicy(deployment.settings.token_issuer, deployment.settings.oidc_audience), keys
    )
    claims = await validator.validate(deployment.token("viewer"))
    assert claims["roles"] == ["viewer"]
    jwks = (await deployment.client.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [deployment.issuer.key.kid]
    assert "d" not in jwks["keys"][0]  # never the private part
