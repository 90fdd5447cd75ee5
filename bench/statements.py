"""SQL statements per request, counted in-process: OpsGraph's gateway over a counting
engine (connected as the application role, as the server's requests are), and the floor's
page over a counting fetch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import event

from bench import floor
from bench.scenarios import PAGE_VARIABLES, Scenario
from db.engine import create_engine, session_factory
from db.roles import app_database_url
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from router.gateway import Gateway
from router.response_cache import ResponseCache


async def opsgraph_statements(
    database_url: str, tenant: uuid.UUID, scenarios: Sequence[Scenario]
) -> dict[str, float]:
    engine = create_engine(app_database_url(database_url))
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    plain, cached = build_gateway(), build_gateway(cache=ResponseCache())
    sessions = session_factory(engine)
    # As the bench token: the page holds private fields, cached only for a known subject.
    principal = REGISTRY.roles.principal(
        tenant, frozenset({"admin"}), subject="bench", authenticated=True
    )

    async def execute(gateway: Gateway, scenario: Scenario, query: str, variables: Any) -> None:
        context = Context.open(
            sessions, principal=principal, entity_presence=gateway.entity_presence
        )
        try:
            body = await gateway.execute(query, variables, None, context)
        finally:
            await context.close()
        if body.get("errors"):
            raise RuntimeError(f"{scenario.name}: {body['errors']}")

    result: dict[str, float] = {}
    try:
        for scenario in scenarios:
            requests = scenario.requests()
            gateway = cached if scenario.response_cache else plain
            if scenario.response_cache:  # the first request fills the cache
                for query, variables in requests:
                    await execute(gateway, scenario, query, variables)
            counted[0] = 0
            for query, variables in requests:
                await execute(gateway, scenario, query, variables)
            result[scenario.name] = counted[0] / len(requests)
    finally:
        await engine.dispose()
    return result


async def floor_statements(database_url: str, tenant: uuid.UUID) -> tuple[int, bytes]:
    """Statements of one floor page, and its body (to compare with OpsGraph's)."""
    conn = await asyncpg.connect(database_url)
    counted = 0

    async def fetch(sql: str, *args: Any) -> Sequence[Any]:
        nonlocal counted
        counted += 1
        return await conn.fetch(sql, *args)

    try:
        body = await floor.incident_page(fetch, tenant, PAGE_VARIABLES)
    finally:
        await conn.close()
    return counted, body
