"""APQ, trusted documents and the response cache through the real app (in-process, real
PostgreSQL): round trips, refusals with their codes, cache hits and their invalidation."""

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
from sqlalchemy import select

from db.engine import create_engine, session_factory
from db.tables import persisted as tables
from db.tables import tenancy
from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.setup import dev_issuer
from opsgraph.persisted.registration import InvalidManifest, register_manifest
from opsgraph.seed import seed_demo
from opsgraph.server import build_gateway
from router.response_cache import ResponseCache
from subgraphs.incidents import tables as incidents
from tests.support import count_rows, running_app

MANIFESTS = Path(__file__).parents[2] / "schema" / "persisted"
TITLE = "query Title($id: ID!) { incident(id: $id) { id title } }"
RENAME = "mutation Rename($id: ID!, $title: String!) { updateIncident(id: $id, input: {title: $title}) { id title } }"  # noqa: E501
PEOPLE = "{ users(pagination: {first: 3}) { edges { node { id name email } } } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


@dataclass
class App:
    client: httpx.AsyncClient
    cache: ResponseCache
    issuer: DevIssuer
    database_url: str
    slug: str
    other: str
    incident: str
    tenant: str  # our tenant's id, as the cache keys it

    def token(
        self, subject: str, client_id: str | None = None, roles: tuple[str, ...] = ("admin",)
    ) -> str:
        claims: dict[str, Any] = {"sub": subject, "tenant_id": self.slug, "roles": list(roles)}
        if client_id:
            claims["azp"] = client_id
        return self.issuer.mint(claims, 300)

    async def post(self, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json=body, headers=headers)

    async def get(
        self, params: dict[str, Any], token: str | None = None, **headers: str
    ) -> httpx.Response:
        if token:
            headers["authorization"] = f"Bearer {token}"
        encoded = {
            k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in params.items()
        }
        return await self.client.get("/graphql", params=encoded, headers=headers)


@pytest.fixture(scope="module")
async def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[App]:
    slug, other = f"pq-{uuid.uuid4().hex[:8]}", f"pq-other-{uuid.uuid4().hex[:8]}"
    data_dir = Path(tmp_path_factory.mktemp("data"))
    # No rate limit: the module's requests all come from one test client address.
    environment = {"OPSGRAPH_DEFAULT_TENANT": slug, "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0"}
    async with running_app(database_url, data_dir, **environment) as (client, settings):
        owner = create_engine(database_url)
        async with session_factory(owner)() as session, session.begin():
            await seed_demo(session, slug=slug, scale=5)
            await seed_demo(session, slug=other, scale=5)
            check = build_gateway(settings).check_document
            manifest = (MANIFESTS / "partner-portal.json").read_bytes()
            await register_manifest(session, slug, "partner", manifest, check, safelist_only=True)
            await register_manifest(session, slug, "mobile", manifest, check)
        async with session_factory(owner)() as session:
            incident = await session.scalar(
                select(incidents.Incident.id)
                .join(tenancy.Tenant, tenancy.Tenant.id == incidents.Incident.tenant_id)
                .where(
                    tenancy.Tenant.slug == slug,
                    incidents.Incident.status.notin_(["CLOSED", "CANCELLED"]),  # changeable
                )
                .limit(1)
            )
            tenant = await session.scalar(
                select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug)
            )
        await owner.dispose()
        assert incident is not None
        cache = client._transport.app.state.response_cache  # type: ignore[attr-defined]
        yield App(
            client,
            cache,
            dev_issuer(settings),
            database_url,
            slug,
            other,
            str(incident),
            str(tenant),
        )


async def test_apq_round_trip_over_post(app: App) -> None:
    query = "{ incidents(pagination: {first: 1}) { totalCount } }"
    first = await app.post({"extensions": apq(query)})
    assert first.status_code == 404
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await app.post({"query": query, "extensions": apq(query)})
    assert registered.status_code == 200, registered.text
    again = await app.post({"extensions": apq(query)})
    assert again.json() == registered.json() == {"data": {"incidents": {"totalCount": 5}}}


async def test_apq_round_trip_over_get(app: App) -> None:
    query = "{ incidents(pagination: {first: 2}) { totalCount } }"
    missing = await app.get({"extensions": apq(query)})
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (await app.get({"query": query, "extensions": apq(query)})).status_code == 200
    again = await app.get({"extensions": apq(query)})
    assert again.json() == {"data": {"incidents": {"totalCount": 5}}}


async def test_a_hash_that_does_not_match_its_text_is_bad_user_input(app: App) -> None:
    response = await app.post({"query": "{ incidents { totalCount } }", "extensions": apq("{ x }")})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "message": "provided sha256Hash does not match the query",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
    later = await app.post({"extensions": apq("{ x }")})  # nothing was stored under it
    assert later.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "nothex"}},
    ],
)
async def test_malformed_persisted_query_extensions_are_refused(
    app: App, extensions: dict[str, Any]
) -> None:
    response = await app.post({"extensions": extensions})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def partner_page() -> dict[str, Any]:
    manifest = orjson.loads((MANIFESTS / "partner-portal.json").read_bytes())
    return next(op for op in manifest["operations"] if op["name"] == "IncidentSummary")


async def test_a_safelisted_client_runs_its_registered_documents_by_id(app: App) -> None:
    operation = partner_page()
    token = app.token("partner-user", "partner")
    by_id = await app.post(
        {"documentId": operation["id"], "variables": {"id": app.incident}}, token
    )
    assert by_id.status_code == 200, by_id.text
    assert by_id.json()["data"]["incident"]["id"] == app.incident
    by_hash = await app.get(
        {"extensions": apq(operation["body"]), "variables": {"id": app.incident}}, token
    )
    assert by_hash.json() == by_id.json()


async def test_a_safelisted_client_may_run_nothing_else(app: App) -> None:
    token = app.token("partner-user", "partner")
    query = "{ incidents { totalCount } }"
    for body in (
        {"query": query},
        {"query": query, "extensions": apq(query)},
        {"documentId": "not-registered"},
        {"query": partner_page()["body"], "variables": {"id": app.incident}},  # matching text too
    ):
        response = await app.post(body, token)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


async def test_other_clients_keep_freeform_access_and_their_documents(app: App) -> None:
    query = "{ incidents { totalCount } }"
    for client_id in ("mobile", "web", None):
        response = await app.post({"query": query}, app.token("someone", client_id))
        assert response.json() == {"data": {"incidents": {"totalCount": 5}}}, client_id
    by_id = await app.post(
        {"documentId": partner_page()["id"], "variables": {"id": app.incident}},
        app.token("someone", "mobile"),
    )
    assert by_id.json()["data"]["incident"]["id"] == app.incident


async def test_an_invalid_manifest_is_refused_with_its_errors(app: App) -> None:
    manifest = orjson.dumps(
        {"good": "{ incidents { totalCount } }", "bad": "{ incidents { nope } }"}
    )
    owner = create_engine(app.database_url)
    try:
        async with session_factory(owner)() as session, session.begin():
            tenant = await session.scalar(
                select(tenancy.Tenant.id).where(tenancy.Tenant.slug == app.slug)
            )
            before = await count_rows(session_factory(owner), tables.PersistedDocument, tenant)
            check = build_gateway().check_document
            with pytest.raises(InvalidManifest) as refused:
                await register_manifest(session, app.slug, "relay-app", manifest, check)
        assert refused.value.problems == {
            "bad": ["Cannot query field 'nope' on type 'IncidentConnection'."]
        }
        assert await count_rows(session_factory(owner), tables.PersistedDocument, tenant) == before
    finally:
        await owner.dispose()


async def served_twice(app: App, params: dict[str, Any], token: str | None = None) -> bool:
    """Ask twice; whether the second answer came from L1. The outbox relay invalidates
    asynchronously (other tests' writes too), so a pair that an invalidation interrupted
    (the tenant's cache epoch moved) is asked again."""
    for _ in range(10):
        epoch = app.cache.epoch_of(app.tenant)
        first = await app.get(params, token)
        hits = app.cache.stats.l1_hits
        second = await app.get(params, token)
        if app.cache.epoch_of(app.tenant) == epoch:
            assert second.json() == first.json()
            return app.cache.stats.l1_hits == hits + 1
    raise AssertionError("the cache was invalidated during every attempt")


async def test_a_repeated_query_is_served_from_the_cache(app: App) -> None:
    params = {"query": TITLE, "variables": {"id": app.incident}}
    assert await served_twice(app, params)
    second = await app.get(params)
    assert second.headers["cache-control"] == "max-age=30, public"


async def test_a_mutation_invalidates_what_it_changed_before_answering(app: App) -> None:
    params = {"query": TITLE, "variables": {"id": app.incident}}
    await app.get(params)
    renamed = await app.post(
        {"query": RENAME, "variables": {"id": app.incident, "title": "Renamed"}}
    )
    body = renamed.json()
    assert body["data"] and body["data"]["updateIncident"]["title"] == "Renamed", body
    misses = app.cache.stats.misses
    after = await app.get(params)
    assert after.json()["data"]["incident"]["title"] == "Renamed"
    assert app.cache.stats.misses == misses + 1


async def test_a_new_entity_refreshes_counts_that_hold_none_of_it(app: App) -> None:
    count = {"query": "{ incidents { totalCount } }"}
    before = (await app.get(count)).json()["data"]["incidents"]["totalCount"]
    assert (await app.get(count)).json()["data"]["incidents"]["totalCount"] == before  # cached
    created = await app.post({"query": 'mutation { createIncident(input: {title: "New"}) { id } }'})
    assert created.json()["data"]["createIncident"]["id"]
    after = (await app.get(count)).json()["data"]["incidents"]["totalCount"]
    assert after == before + 1


async def test_tenants_never_share_entries(app: App) -> None:
    query = {"query": "{ incidents(pagination: {first: 1}) { edges { node { id } } } }"}
    ours = await app.get(query)
    misses = app.cache.stats.misses
    theirs = await app.get(query, **{"x-opsgraph-tenant": app.other})
    assert app.cache.stats.misses == misses + 1
    assert ours.json() != theirs.json()


async def test_a_private_field_is_never_served_from_a_shared_entry(app: App) -> None:
    alice, bob = app.token("alice"), app.token("bob")  # the same roles, two people
    first = await app.get({"query": PEOPLE}, alice)
    assert first.headers["cache-control"] == "max-age=30, private"
    misses = app.cache.stats.misses
    await app.get({"query": PEOPLE}, bob)
    assert app.cache.stats.misses == misses + 1  # Bob never saw Alice's entry
    assert await served_twice(app, {"query": PEOPLE}, alice)
    anonymous = await app.get({"query": PEOPLE})  # no principal: private data is not cached
    assert "cache-control" not in anonymous.headers


async def test_etag_and_not_modified(app: App) -> None:
    params = {"query": TITLE, "variables": {"id": app.incident}}
    first = await app.get(params)
    etag = first.headers["etag"]
    unchanged = await app.get(params, **{"if-none-match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    other = await app.get(params, **{"if-none-match": '"something-else"'})
    assert other.status_code == 200
