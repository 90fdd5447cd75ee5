"""A lost database is HTTP 503 SERVICE_UNAVAILABLE with Retry-After on every path (the router
in-process, a subgraph served alone, the router over HTTP), never a masked 200 or a 500; a
failed statement that is not a lost database stays INTERNAL_SERVER_ERROR. Against a private
embedded PostgreSQL that the tests stop and start."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine, session_factory
from db.failures import is_connection_failure
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.events.bus import InProcessBus
from opsgraph.events.hub import EventHub
from opsgraph.in_process import in_process_subscriber
from opsgraph.server import build_supergraph
from opsgraph.subgraph_app import create_subgraph_app
from resolvers.context import Context
from resolvers.errors import with_code
from router.execution import HttpTransport
from router.gateway import Gateway
from subgraphs.incidents import tables as incidents
from tests.support import PostgresServer, count_rows, running_app, serving_app

CREATE = 'mutation { createIncident(input: {title: "Core switch down"}) { id number } }'
PAGE = "{ incidents(pagination: {first: 5}) { totalCount edges { node { id title } } } }"


@pytest.fixture
async def owner(private_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(private_database, pool_size=1, max_overflow=1)
    yield engine
    await engine.dispose()


@pytest.fixture
async def tenant(owner: AsyncEngine) -> tuple[str, uuid.UUID]:
    async with session_factory(owner)() as session, session.begin():
        return "outage", await create_tenant(session, "outage", "Outage")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    codes = {error["extensions"]["code"] for error in response.json()["errors"]}
    assert codes == {"SERVICE_UNAVAILABLE"}, response.text
    assert "Traceback" not in response.text and "asyncpg" not in response.text


@contextlib.contextmanager
def stopped(server: PostgresServer) -> Any:
    server.stop()
    try:
        yield
    finally:
        server.start()


async def test_the_router_answers_503_while_postgres_is_down(
    private_postgres: PostgresServer,
    private_database: str,
    tenant: tuple[str, uuid.UUID],
    owner: AsyncEngine,
    tmp_path: Path,
) -> None:
    slug, tenant_id = tenant
    async with running_app(private_database, tmp_path, OPSGRAPH_DEFAULT_TENANT=slug) as (
        client,
        _,
    ):
        assert (await client.post("/graphql", json={"query": CREATE})).status_code == 200
        with stopped(private_postgres):
            for query in (PAGE, CREATE):  # the compiled query path and the normal executor
                assert_unavailable(await client.post("/graphql", json={"query": query}))
            assert_unavailable(await client.get("/graphql", params={"query": PAGE}))
        # PostgreSQL is back: the pool replaces its dead connections at checkout, nothing fails.
        after = await client.post("/graphql", json={"query": CREATE})
        assert after.status_code == 200 and "errors" not in after.json(), after.text
    assert await count_rows(session_factory(owner), incidents.Incident, tenant_id) == 2


async def test_a_principal_that_needs_the_database_is_503_too(
    private_postgres: PostgresServer,
    private_database: str,
    tenant: tuple[str, uuid.UUID],
    tmp_path: Path,
) -> None:
    # A fresh process: the tenant directory is not cached yet, authenticating reads it.
    slug, _ = tenant
    async with running_app(private_database, tmp_path, OPSGRAPH_DEFAULT_TENANT=slug) as (
        client,
        _,
    ):
        with stopped(private_postgres):
            assert_unavailable(await client.post("/graphql", json={"query": PAGE}))


@contextlib.asynccontextmanager
async def subgraph_clients(
    database_url: str, data_dir: Path, slug: str
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Each subgraph served alone (`opsgraph subgraph NAME`), in-process over ASGI."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for name in REGISTRY.names:
            served = await stack.enter_async_context(
                serving_app(
                    database_url,
                    data_dir,
                    build=functools.partial(create_subgraph_app, REGISTRY.domain(name).schema),
                    base_url=f"http://{name}",
                    OPSGRAPH_DEFAULT_TENANT=slug,
                )
            )
            clients[name] = served.client
        yield clients


async def test_a_subgraph_alone_and_the_router_over_http_answer_503(
    private_postgres: PostgresServer,
    private_database: str,
    tenant: tuple[str, uuid.UUID],
    tmp_path: Path,
) -> None:
    slug, _ = tenant
    async with subgraph_clients(private_database, tmp_path, slug) as clients:
        gateway = Gateway(
            build_supergraph(),
            {
                name: HttpTransport(f"http://{name}/graphql", 10.0, client)
                for name, client in clients.items()
            },
        )

        class Caller:
            headers: dict[str, str] = {}

        assert (await gateway.execute_request(PAGE, None, None, Caller())).status == 200
        with stopped(private_postgres):
            assert_unavailable(await clients["incidents"].post("/graphql", json={"query": PAGE}))
            result = await gateway.execute_request(CREATE, None, None, Caller())
            assert (result.status, dict(result.headers)) == (503, {"Retry-After": "2"})
            [error] = result.body["errors"]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert error["extensions"]["serviceName"] == "incidents"
        assert (await gateway.execute_request(CREATE, None, None, Caller())).status == 200


async def failure_of(engine: AsyncEngine, statement: str) -> Exception:
    """The error a real statement raises."""
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    except Exception as error:
        return error
    raise AssertionError(f"{statement!r} did not fail")


def masked(error: Exception) -> dict[str, Any]:
    located = GraphQLError("raw", path=["createIncident"], original_error=error)
    return with_code(located, None).formatted


async def test_only_a_lost_database_is_service_unavailable(
    private_postgres: PostgresServer, owner: AsyncEngine, tenant: tuple[str, uuid.UUID]
) -> None:
    duplicate = await failure_of(owner, "INSERT INTO tenancy.tenants (slug, name) "
                                 "VALUES ('outage', 'again')")  # fmt: skip
    cancelled = await failure_of(owner, "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
    with stopped(private_postgres):
        lost = await failure_of(owner, "SELECT 1")

    assert not is_connection_failure(duplicate) and not is_connection_failure(cancelled)
    assert masked(duplicate)["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert masked(cancelled)["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert is_connection_failure(lost)
    assert masked(lost) == {
        "message": "The database is unavailable; retry later",
        "path": ["createIncident"],
        "extensions": {"code": "SERVICE_UNAVAILABLE", "requestId": None},
    }


async def test_a_database_refusing_connections_is_service_unavailable(
    private_database: str, owner: AsyncEngine
) -> None:
    """PostgreSQL out of connections for us (max_connections reached, or the role's limit:
    SQLSTATE 53300) is a lost database while it lasts: SERVICE_UNAVAILABLE, to be retried,
    not an internal error."""
    async with owner.begin() as connection:
        await connection.execute(text("CREATE ROLE refused LOGIN CONNECTION LIMIT 0"))
    url = make_url(private_database).set(username="refused")
    refused = create_engine(url.render_as_string(hide_password=False))
    try:
        error = await failure_of(refused, "SELECT 1")
    finally:
        await refused.dispose()
    assert is_connection_failure(error)
    assert masked(error)["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_subscription_resuming_while_postgres_is_down_is_service_unavailable(
    private_postgres: PostgresServer, owner: AsyncEngine, tenant: tuple[str, uuid.UUID]
) -> None:
    sessions = session_factory(owner)
    hub = EventHub(InProcessBus())
    await hub.start(sessions)
    await asyncio.wait_for(hub.ready.wait(), 10)
    subscribe = in_process_subscriber(REGISTRY.domain("incidents").schema)
    principal = REGISTRY.roles.principal(tenant[1], frozenset({"admin"}))
    context = Context.open(sessions, principal=principal, events=hub)
    try:
        with stopped(private_postgres):  # the retained events cannot be read
            results = [
                result
                async for result in subscribe(
                    'subscription { incidentEvents(after: "0") { id } }', None, None, context
                )
            ]
    finally:
        await hub.stop()
        await context.close()
    [result] = results
    [error] = result["errors"]
    assert error["message"] == "The database is unavailable; retry later"
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
