"""Adding a domain is a package and one registry entry: the throwaway `bookmarks` domain
(tests/throwaway_domain/), added to a registry of the test's own, is migrated, walled, granted,
seeded, composed and routed, its page served, and it appears in the split deployment's files,
with no other file touched."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.scope import RequestDatabase
from opsgraph import deployment
from opsgraph.domains import DOMAINS, Registry
from opsgraph.pages import page_routes
from opsgraph.seed import seed_demo
from opsgraph.server import build_gateway, build_supergraph
from resolvers.context import Context
from router.composition import print_api_schema
from tests import throwaway_domain
from tests.conftest import empty_database

REGISTRY = Registry((*DOMAINS, throwaway_domain.DOMAIN))
BOOKMARKS = "bookmarks.bookmarks"


@pytest.fixture(scope="module")
def database(server_url: str) -> Iterator[str]:
    for url in empty_database(server_url, "opsgraph_domain"):
        REGISTRY.migrations.upgrade(url)
        yield url


@pytest.fixture
async def sessions(database: str) -> AsyncIterator[dict[str, async_sessionmaker[AsyncSession]]]:
    owner, app = create_engine(database), create_engine(app_database_url(database))
    yield {"owner": session_factory(owner), "app": session_factory(app)}
    await owner.dispose()
    await app.dispose()


async def test_it_is_migrated_to_its_own_head_and_matches_its_tables(database: str) -> None:
    engine = create_engine(database)
    try:
        migrations = REGISTRY.migrations
        assert "bookmarks_0001" in migrations.head_revisions
        assert await migrations.current_revisions(engine) == migrations.head_revisions
        assert await migrations.schema_drift(engine) == []
    finally:
        await engine.dispose()


async def test_its_table_is_walled(sessions: dict[str, Any]) -> None:
    async with sessions["owner"]() as session:
        policy = await session.scalar(
            text(
                "SELECT c.relrowsecurity AND c.relforcerowsecurity "
                "AND EXISTS (SELECT FROM pg_policies p WHERE p.schemaname = 'bookmarks' "
                "AND p.tablename = 'bookmarks' AND p.policyname = 'tenant_wall') "
                "FROM pg_class c WHERE c.oid = CAST(:t AS regclass)"
            ),
            {"t": BOOKMARKS},
        )
    assert policy is True


async def test_it_is_seeded_and_routed_across_subgraphs_behind_the_wall(
    sessions: dict[str, Any],
) -> None:
    slug = f"bm-{uuid.uuid4().hex[:8]}"
    async with sessions["owner"]() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=3, registry=REGISTRY)
        tenant = await session.scalar(
            text("SELECT id FROM tenancy.tenants WHERE slug = :s"), {"s": slug}
        )
        users = await session.scalar(
            text("SELECT count(*) FROM identity.users WHERE tenant_id = :t"), {"t": tenant}
        )
    gateway = build_gateway(registry=REGISTRY)
    viewer = REGISTRY.roles.principal(tenant, frozenset({"viewer"}), authenticated=True)
    context = Context.open(sessions["app"], principal=viewer)
    try:
        result = await gateway.execute(
            "{ bookmarks { title owner { name } } }", None, None, context
        )
    finally:
        await context.close()
    assert "errors" not in result, result["errors"]
    bookmarks = result["data"]["bookmarks"]
    assert len(bookmarks) == users
    assert all(b["title"] == f"Runbook of {b['owner']['name']}" for b in bookmarks)

    # Another tenant, through the application role, sees none of them.
    db = RequestDatabase(sessions["app"], uuid.uuid4())
    try:
        assert await db.scalars(select(func.count()).select_from(text(BOOKMARKS))) == [0]
    finally:
        await db.close()


def test_its_declarations_reach_roles_schema_and_deployment() -> None:
    assert "bookmark:view" in REGISTRY.roles.builtin["viewer"]
    assert "bookmark:view" not in REGISTRY.roles.builtin["operator"]
    assert "bookmark:view" in REGISTRY.roles.permissions
    assert "Bookmark" in REGISTRY.cache_hints
    assert ("User", throwaway_domain.BookmarkRow.owner_id) in list(REGISTRY.stored_references())
    assert "bookmarks: [Bookmark!]!" in print_api_schema(build_supergraph(registry=REGISTRY))
    port = deployment.FIRST_PORT + len(DOMAINS)  # the next port after the registered domains'
    toml = deployment.subgraphs_toml(REGISTRY)
    assert f'[subgraphs.bookmarks]\nurl = "http://127.0.0.1:{port}/graphql"' in toml
    compose = deployment.docker_compose(REGISTRY)
    service = compose[compose.index("  bookmarks:") : compose.index("  router:")]
    assert f'"--port", "{port}"' in service and "--peers" in service
    assert "bookmarks: { condition: service_healthy }" in compose


async def test_its_page_is_served() -> None:
    app = Starlette(routes=page_routes(REGISTRY))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/bookmarks")
        wallboard = await client.get("/wallboard")
    assert page.status_code == 200 and "<title>Bookmarks</title>" in page.text
    assert wallboard.status_code == 200  # the registered domains' pages are still there
