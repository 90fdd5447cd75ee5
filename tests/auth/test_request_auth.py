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
from db.tables import tenancy
from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.keys import DiscoveredKeys
from opsgraph.auth.setup import dev_issuer
from opsgraph.auth.tokens import TokenPolicy, TokenValidator
from opsgraph.seed import seed_demo
from opsgraph.settings import Settings
from subgraphs.identity import tables as identity
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
            await seed_demo(session, slug=slug, scale=5)
            await seed_demo(session, slug=other, scale=5)
        async with session_factory(owner)() as session:
            tenant = await session.scalar(
                select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug)
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


# One probe per permission: a request that needs exactly that permission.
PROBES = {
    "incident:view": "{ incidents { totalCount } }",
    "incident:create": 'mutation { createIncident(input: {title: "Probe"}) { id } }',
    "identity:view": "{ users { totalCount } }",
    "identity:manage": 'mutation { createTeam(input: {name: "Probe %s"}) { id } }',
    "audit:view": "{ auditLog { totalCount } }",
    "admin:roles": 'mutation { createRole(input: {name: "probe-%s", permissions: []}) { id } }',
}


async def allowed(deployment: Deployment, token: str) -> set[str]:
    """The permissions the token's requests are granted, by probe."""
    granted = set()
    for permission, probe in PROBES.items():
        query = probe % uuid.uuid4().hex[:8] if "%s" in probe else probe
        body = (await deployment.post(query, token)).json()
        codes = [e["extensions"]["code"] for e in body.get("errors", [])]
        assert codes in ([], ["FORBIDDEN"]), body
        if not codes:
            granted.add(permission)
    return granted


async def test_a_custom_role_grants_exactly_its_permissions(deployment: Deployment) -> None:
    admin = deployment.token("admin", azp="console")
    name = f"triage-{uuid.uuid4().hex[:6]}"
    created = await deployment.post(
        f'mutation {{ createRole(input: {{name: "{name}", permissions: ["incident:view", '
        f'"incident:create"]}}) {{ id }} }}',
        admin,
        **{"x-request-id": "req-role-1"},
    )
    role = created.json()["data"]["createRole"]["id"]
    token = deployment.token("viewer", roles=[name])

    assert await allowed(deployment, token) == {"incident:view", "incident:create"}

    # A change in this process applies to the next request at once (the cache is dropped).
    await deployment.post(
        f'mutation {{ updateRole(id: "{role}", input: {{permissions: ["audit:view"]}}) {{ id }} }}',
        admin,
    )
    assert await allowed(deployment, token) == {"audit:view"}
    log = await deployment.post(
        f'{{ auditLog(filter: {{operation: "createRole", entityId: "{role}"}}) '
        "{ edges { node { actor { id } requestId clientId changes { field after } } } } }",
        token,
    )
    [entry] = log.json()["data"]["auditLog"]["edges"]
    assert entry["node"] == {
        "actor": {"id": str(deployment.users["admin"].id)},
        "requestId": "req-role-1",
        "clientId": "console",
        "changes": [
            {"field": "description", "after": ""},
            {"field": "name", "after": name},
            {"field": "permissions", "after": ["incident:create", "incident:view"]},
        ],
    }

    await deployment.post(f'mutation {{ deleteRole(id: "{role}") {{ id }} }}', admin)
    assert await allowed(deployment, token) == set()


DEACTIVATE = "mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { active } }"
REACTIVATE = "mutation($id: ID!) { updateUser(id: $id, input: {active: true}) { active } }"


async def as_admin(deployment: Deployment, query: str, **variables: Any) -> dict[str, Any]:
    response = await deployment.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {deployment.token('admin')}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def test_a_deactivated_users_token_is_refused_at_once_until_reactivated(
    deployment: Deployment,
) -> None:
    email = f"leaver-{uuid.uuid4().hex[:6]}@example.com"
    created = await as_admin(
        deployment,
        'mutation($email: String!) { createUser(input: {name: "Leaver", email: $email, '
        'roles: ["operator"]}) { id } }',
        email=email,
    )
    leaver = created["createUser"]["id"]
    token = deployment.issuer.mint(
        {"sub": leaver, "tenant_id": str(deployment.tenant), "roles": ["operator"]}, 300
    )
    assert (await deployment.post("{ incidents { totalCount } }", token)).status_code == 200

    assert (await as_admin(deployment, DEACTIVATE, id=leaver))["updateUser"] == {"active": False}
    refused = await deployment.post("{ incidents { totalCount } }", token)
    assert refused.status_code == 401
    assert refused.json()["errors"] == [
        {"message": "The token's user is deactivated", "extensions": {"code": "UNAUTHENTICATED"}}
    ]
    write = await deployment.post(CREATE, token)
    assert write.status_code == 401

    await as_admin(deployment, REACTIVATE, id=leaver)
    assert (await deployment.post("{ incidents { totalCount } }", token)).status_code == 200


async def test_nobody_deactivates_themselves(deployment: Deployment) -> None:
    admin = deployment.users["admin"]
    response = await deployment.client.post(
        "/graphql",
        json={"query": DEACTIVATE, "variables": {"id": str(admin.id)}},
        headers={"authorization": f"Bearer {deployment.token('admin')}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await deployment.post("{ __typename }", deployment.token("admin"))).status_code == 200


async def test_a_user_id_not_of_the_tokens_tenant_is_refused(deployment: Deployment) -> None:
    listed = await as_admin(
        deployment, "{ users(pagination: {first: 1}) { edges { node { id } } } }"
    )
    mine = listed["users"]["edges"][0]["node"]["id"]
    for subject in (str(uuid.uuid4()), mine):
        token = deployment.issuer.mint(
            {"sub": subject, "tenant_id": deployment.other_tenant, "roles": ["admin"]}, 300
        )
        response = await deployment.post("{ __typename }", token)
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"] == (
            "The token's subject is not a user of its tenant"
        )
    # A subject that is no user id (an API client, a service account) is not a user to check.
    client = deployment.issuer.mint(
        {"sub": "partner-sync", "tenant_id": str(deployment.tenant), "roles": ["viewer"]}, 300
    )
    assert (await deployment.post("{ incidents { totalCount } }", client)).status_code == 200


async def test_a_token_living_longer_than_the_maximum_is_refused(deployment: Deployment) -> None:
    assert deployment.settings.token_max_lifetime_seconds == 86400
    claims = {"sub": "partner-sync", "tenant_id": str(deployment.tenant), "roles": ["viewer"]}
    longest = deployment.issuer.mint(claims, 86400)
    assert (await deployment.post("{ __typename }", longest)).status_code == 200
    response = await deployment.post("{ __typename }", deployment.issuer.mint(claims, 86401))
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {
            "message": "Token lifetime (exp - iat) of 86401 s exceeds the maximum of 86400 s",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
