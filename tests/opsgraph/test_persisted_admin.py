"""Registering persisted operations through the API (admin mutations, validated against the
composed schema, audited), safelisting by token claim, and OPSGRAPH_PERSISTED_ONLY — through
the real app in-process over real PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from db.engine import create_engine, session_factory
from db.roles import APP_ROLE
from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.setup import dev_issuer
from opsgraph.seed import seed_demo
from tests.support import running_app

COUNT = "{ incidents { totalCount } }"
TITLES = "query Titles { incidents(pagination: {first: 2}) { edges { node { title } } } }"
CREATE_CLIENT = """mutation($id: String!, $safelist: Boolean!) {
  createApiClient(input: {clientId: $id, safelistOnly: $safelist}) { clientId safelistOnly }
}"""
REGISTER = """mutation($id: String!, $manifest: String!) {
  registerPersistedOperations(input: {clientId: $id, manifest: $manifest}) {
    addedIds operationCount client { clientId documentCount }
  }
}"""
AUDIT = """query($op: String!) {
  auditLog(filter: {operation: $op}) { edges { node { entityType changes { field after } } } }
}"""


@dataclass
class Api:
    client: httpx.AsyncClient
    issuer: DevIssuer
    slug: str

    def token(self, client_id: str | None = None, **claims: Any) -> str:
        base: dict[str, Any] = {"sub": "someone", "tenant_id": self.slug, "roles": ["admin"]}
        if client_id:
            base["azp"] = client_id
        return self.issuer.mint({**base, **claims}, 300)

    async def post(self, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json=body, headers=headers)

    async def run(self, query: str, token: str | None = None, **variables: Any) -> Any:
        return (await self.post({"query": query, "variables": variables}, token)).json()


async def open_api(
    database_url: str, data_dir: Path, slug: str, **environment: str
) -> AsyncIterator[Api]:
    env = {"OPSGRAPH_DEFAULT_TENANT": slug, "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0", **environment}
    async with running_app(database_url, data_dir, **env) as (client, settings):
        owner = create_engine(database_url)
        async with session_factory(owner)() as session, session.begin():
            await seed_demo(session, slug=slug, scale=3)
        await owner.dispose()
        yield Api(client, dev_issuer(settings), slug)


@pytest.fixture(scope="module")
async def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    data_dir = Path(tmp_path_factory.mktemp("data"))
    async for opened in open_api(database_url, data_dir, f"pa-{uuid.uuid4().hex[:8]}"):
        yield opened


def relay(**documents: str) -> str:
    return orjson.dumps(documents).decode()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def new_client(api: Api, safelist: bool = True) -> str:
    client_id = f"app-{uuid.uuid4().hex[:8]}"
    made = await api.run(CREATE_CLIENT, id=client_id, safelist=safelist)
    assert made["data"]["createApiClient"] == {"clientId": client_id, "safelistOnly": safelist}
    return client_id


async def test_a_registered_manifest_is_all_a_safelisted_client_may_run(api: Api) -> None:
    client_id = await new_client(api)
    registered = await api.run(REGISTER, id=client_id, manifest=relay(titles=TITLES))
    assert registered["data"]["registerPersistedOperations"] == {
        "addedIds": ["titles"],
        "operationCount": 1,
        "client": {"clientId": client_id, "documentCount": 1},
    }
    token = api.token(client_id)
    by_id = (await api.post({"documentId": "titles"}, token)).json()
    assert len(by_id["data"]["incidents"]["edges"]) == 2
    refused = (await api.post({"query": COUNT}, token)).json()
    assert codes(refused) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    again = await api.run(REGISTER, id=client_id, manifest=relay(titles=TITLES))
    assert again["data"]["registerPersistedOperations"]["addedIds"] == []  # already there
    audit = await api.run(AUDIT, op="registerPersistedOperations")
    recorded = [e["node"] for e in audit["data"]["auditLog"]["edges"]]
    change = {"field": "persistedOperations", "after": ["titles"]}
    assert {"entityType": "ApiClient", "changes": [change]} in recorded


async def test_an_invalid_manifest_is_refused_with_each_operations_errors(api: Api) -> None:
    client_id = await new_client(api)
    manifest = relay(good=COUNT, bad="{ incidents { nope } }", worse="{ nothing }")
    refused = await api.run(REGISTER, id=client_id, manifest=manifest)
    assert refused["data"] is None
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problems"] == [
        {"id": "bad", "errors": ["Cannot query field 'nope' on type 'IncidentConnection'."]},
        {"id": "worse", "errors": ["Cannot query field 'nothing' on type 'Query'."]},
    ]
    listed = await api.run("{ apiClients { clientId documentCount } }")
    assert {"clientId": client_id, "documentCount": 0} in listed["data"]["apiClients"]
    assert codes((await api.post({"documentId": "good"}, api.token(client_id))).json()) == [
        "PERSISTED_QUERY_NOT_IN_LIST"
    ]


@pytest.mark.parametrize(
    ("manifest", "client", "code"),
    [
        ("not json", "known", "BAD_USER_INPUT"),
        ('{"format": "apollo-persisted-query-manifest", "version": 9}', "known", "BAD_USER_INPUT"),
        (relay(q=COUNT), "unknown", "NOT_FOUND"),
        (relay(titles=COUNT), "known", "CONFLICT"),  # the id names another text already
    ],
)
async def test_unusable_registrations_change_nothing(
    api: Api, manifest: str, client: str, code: str
) -> None:
    client_id = await new_client(api)
    await api.run(REGISTER, id=client_id, manifest=relay(titles=TITLES))
    target = client_id if client == "known" else "nobody"
    refused = await api.run(REGISTER, id=target, manifest=manifest)
    assert codes(refused) == [code]
    listed = await api.run("{ apiClients { clientId documentCount } }")
    assert {"clientId": client_id, "documentCount": 1} in listed["data"]["apiClients"]


async def test_client_records_are_created_once_and_updated(api: Api) -> None:
    client_id = await new_client(api, safelist=False)
    assert codes(await api.run(CREATE_CLIENT, id=client_id, safelist=True)) == ["CONFLICT"]
    assert codes(await api.run(CREATE_CLIENT, id=" padded", safelist=True)) == ["BAD_USER_INPUT"]
    update = """mutation($id: String!) {
      updateApiClient(clientId: $id, input: {safelistOnly: true}) { clientId safelistOnly }
    }"""
    updated = await api.run(update, id=client_id)
    assert updated["data"]["updateApiClient"] == {"clientId": client_id, "safelistOnly": True}
    assert codes(await api.run(update, id="nobody")) == ["NOT_FOUND"]
    audit = await api.run(AUDIT, op="updateApiClient")
    assert {"entityType": "ApiClient", "changes": [{"field": "safelistOnly", "after": True}]} in [
        e["node"] for e in audit["data"]["auditLog"]["edges"]
    ]


async def test_the_safelist_claim_holds_a_token_to_its_clients_documents(api: Api) -> None:
    client_id = await new_client(api, safelist=False)
    await api.run(REGISTER, id=client_id, manifest=relay(titles=TITLES))
    free = api.token(client_id)
    assert (await api.post({"query": COUNT}, free)).json()["data"]["incidents"]["totalCount"] == 3
    held = api.token(client_id, opsgraph_safelist=True)
    apq = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(COUNT.encode()).hexdigest()}
    }
    for body in ({"query": COUNT}, {"query": COUNT, "extensions": apq}, {"documentId": "other"}):
        assert codes((await api.post(body, held)).json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    assert "errors" not in (await api.post({"documentId": "titles"}, held)).json()
    # Without a client the claim leaves nothing to run.
    clientless = api.token(None, opsgraph_safelist=True)
    assert codes((await api.post({"query": COUNT}, clientless)).json()) == [
        "PERSISTED_QUERY_NOT_IN_LIST"
    ]
    malformed = await api.post({"query": COUNT}, api.token(client_id, opsgraph_safelist="yes"))
    assert malformed.status_code == 401
    assert "opsgraph_safelist must be a boolean" in malformed.text


async def test_persisted_only_refuses_freeform_text_from_everyone(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    client_id = await new_client(api, safelist=False)
    await api.run(REGISTER, id=client_id, manifest=relay(titles=TITLES))
    env = {"OPSGRAPH_PERSISTED_ONLY": "true", "OPSGRAPH_DEFAULT_TENANT": api.slug}
    async with running_app(database_url, tmp_path, **env) as (client, settings):
        strict = Api(client, dev_issuer(settings), api.slug)
        apq = {
            "persistedQuery": {
                "version": 1,
                "sha256Hash": hashlib.sha256(COUNT.encode()).hexdigest(),
            }
        }
        for token in (None, strict.token(), strict.token(client_id)):
            for body in ({"query": COUNT}, {"query": COUNT, "extensions": apq}):
                refused = await strict.post(body, token)
                assert codes(refused.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"], (token, body)
        ran = (await strict.post({"documentId": "titles"}, strict.token(client_id))).json()
        assert len(ran["data"]["incidents"]["edges"]) == 2


async def test_the_app_role_may_add_but_never_rewrite_persisted_operations(
    owner_sessions: Any,
) -> None:
    privileges = """SELECT array_agg(p ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE',
      'DELETE','TRUNCATE']) p WHERE has_table_privilege(:role, :table, p)"""
    columns = """SELECT array_agg(c ORDER BY c) FROM unnest(ARRAY['client_id','safelist_only',
      'tenant_id','updated_at']) c WHERE has_column_privilege(:role, :table, c, 'UPDATE')"""
    async with owner_sessions() as session:
        documents = await session.scalar(
            text(privileges), {"role": APP_ROLE, "table": "persisted.persisted_documents"}
        )
        clients = await session.scalar(
            text(privileges), {"role": APP_ROLE, "table": "persisted.api_clients"}
        )
        updatable = await session.scalar(
            text(columns), {"role": APP_ROLE, "table": "persisted.api_clients"}
        )
    assert documents == ["INSERT", "SELECT"]
    assert clients == ["INSERT", "SELECT"]  # UPDATE on two columns only
    assert updatable == ["safelist_only", "updated_at"]
