"""No N+1: a page of incidents with everything nested costs the same statements at any size;
checking a token's user costs one indexed read per cache miss and none on a hit."""

from __future__ import annotations

import functools
import gc
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from db.tenants import find_tenant_id
from opsgraph.auth.active_users import ActiveUserCache, UserState, load_user_state
from opsgraph.domains import REGISTRY
from opsgraph.seed import seed_demo
from opsgraph.server import build_gateway
from opsgraph.subgraph_app import create_subgraph_app
from resolvers.context import Context
from router.gateway import Gateway
from tests.support import serving_app

PAGE = """
query($first: Int!) {
  incidents(pagination: {first: $first}, filter: {status: [OPEN, IN_PROGRESS, ON_HOLD, RESOLVED,
      CLOSED, CANCELLED]}) {
    edges { node {
      number title tags customFields
      assignee { name email }
      team { name }
      reporter { name }
      comments { body author { name } mentions { id } }
    } }
  }
}"""

# set_config of the tenant (row-level security: first statement of the request's one read
# transaction) · incidents page · comments · users (assignee, reporter and comment authors in
# one batch) with teams, read at once, in one statement (db/merged_reads.py): one read per
# entity kind, whatever the page size.
STATEMENTS_PER_PAGE = 4


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


async def seeded_tenant(owner_sessions: Any, tenant_id: uuid.UUID) -> uuid.UUID:
    """A tenant of its own with 60 demo incidents (comments, assignees, teams)."""
    slug = f"seed-{tenant_id.hex[:8]}"
    async with owner_sessions() as session, session.begin():
        await seed_demo(session, slug=slug, scale=60)
    async with owner_sessions() as session:
        return await find_tenant_id(session, slug)


async def test_page_size_does_not_change_the_statement_count(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, statements: Any
) -> None:
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    counts = {}
    for size in (10, 50):
        context = new_context(seeded)
        statements.reset()
        result = await gateway.execute(PAGE, {"first": size}, None, context)
        assert "errors" not in result, result.get("errors")
        edges = result["data"]["incidents"]["edges"]
        assert len(edges) == size
        assert all(e["node"]["reporter"]["name"] for e in edges)
        assert any(e["node"]["comments"] for e in edges)
        counts[size] = statements.count
    assert counts == {10: STATEMENTS_PER_PAGE, 50: STATEMENTS_PER_PAGE}, statements.statements


async def test_a_query_reads_one_snapshot_a_mutation_writes_at_read_committed(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, new_context: Any, statements: Any
) -> None:
    """Every fetch of a query reads the database as the query's first statement found it
    (db/scope.py: its count agrees with its edges, its entities with the lists naming
    them, whatever commits meanwhile); a mutation's transactions stay READ COMMITTED, after
    a query on the same context too."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT set_config("
    begins = []
    create = 'mutation { createIncident(input: {title: "t"}) { id title } }'
    context = new_context(seeded)  # one, as a WebSocket connection's operations share theirs
    for operation, variables in ((PAGE, {"first": 10}), (create, None)):
        statements.reset()
        result = await gateway.execute(operation, variables, None, context)
        await context.end_event()  # as the connection ends each operation
        assert "errors" not in result, result["errors"]
        begins.append([sql for sql in statements.statements if "BEGIN" in sql])
    assert [sql.startswith(snapshot) for sql in begins[0]] == [True], begins[0]
    assert begins[1] and not any("REPEATABLE READ" in sql for sql in begins[1]), begins[1]


async def test_a_subgraph_served_alone_reads_a_query_in_one_snapshot(
    database_url: str, owner_sessions: Any, tenant_id: Any, tmp_path: Path
) -> None:
    """Split, each subgraph reads what it is asked for a query in one snapshot of its own
    (over HTTP, as the router asks); a mutation it serves stays READ COMMITTED."""
    slug = f"alone-{tenant_id.hex[:8]}"
    async with owner_sessions() as session, session.begin():
        await seed_demo(session, slug=slug, scale=5)
    begins: list[str] = []

    def begin(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "BEGIN" in statement:
            begins.append(statement)

    build = functools.partial(create_subgraph_app, REGISTRY.domain("incidents").schema)
    event.listen(Engine, "before_cursor_execute", begin)
    try:
        async with serving_app(
            database_url, tmp_path, build=build, OPSGRAPH_DEFAULT_TENANT=slug
        ) as served:
            answers = []
            page = "{ incidents(pagination: {first: 3}) { totalCount edges { node { id } } } }"
            create = 'mutation { createIncident(input: {title: "t"}) { id } }'
            for query in (page, create):
                begins.clear()
                response = await served.client.post("/graphql", json={"query": query})
                assert "errors" not in response.json(), response.text
                answers.append(list(begins))
    finally:
        event.remove(Engine, "before_cursor_execute", begin)
    snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT set_config("
    assert [sql.startswith(snapshot) for sql in answers[0]] == [True], answers[0]
    assert answers[1] and not any("REPEATABLE READ" in sql for sql in answers[1]), answers[1]


async def test_a_mutation_the_caller_may_not_run_costs_no_statement(
    gateway: Gateway, sessions: Any, tenant_id: Any, statements: Any
) -> None:
    viewer = REGISTRY.roles.principal(tenant_id, frozenset({"viewer"}), authenticated=True)
    context = Context.open(sessions, principal=viewer)
    statements.reset()
    try:
        result = await gateway.execute(
            'mutation { createIncident(input: {title: "no"}) { id } }', None, None, context
        )
    finally:
        await context.close()

    assert result["data"] is None
    assert [error["extensions"]["code"] for error in result["errors"]] == ["FORBIDDEN"]
    assert statements.count == 0, statements.statements


@pytest.mark.compiled_unchecked  # the normal executor leaves cyclic garbage of its own
async def test_a_page_leaves_almost_nothing_for_the_cyclic_garbage_collector(
    gateway: Gateway, owner_sessions: Any, tenant_id: Any, sessions: Any
) -> None:
    """What a request loaded is freed by reference counting when it ends (its loaders no
    longer form a cycle with its context), not left for the collector: it used to leave
    over 2,000 objects per page."""
    seeded = await seeded_tenant(owner_sessions, tenant_id)
    principal = REGISTRY.roles.principal(seeded, frozenset({"admin"}), authenticated=True)

    async def page() -> None:
        context = Context.open(sessions, principal=principal)
        try:
            result = await gateway.execute(PAGE, {"first": 50}, None, context)
        finally:
            await context.close()
        assert "errors" not in result, result["errors"]

    await page()  # plans, prepared statements and other caches filled
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            await page()
        gc.collect()
        left = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left / 3 < 50, left


async def test_a_users_token_costs_one_indexed_read_then_none_while_cached(
    identity: Any, sessions: Any, tenant_id: uuid.UUID, statements: Any
) -> None:
    created = await identity.ok(
        'mutation { createUser(input: {name: "Ada", email: "ada@example.com"}) { id } }'
    )
    ada = uuid.UUID(created["createUser"]["id"])
    # What the authenticator asks for every token whose subject is a user id.
    directory = REGISTRY.directory
    cache = ActiveUserCache(
        functools.partial(load_user_state, directory, sessions),
        user_entity=directory.user_entity,
    )
    statements.reset()
    assert await cache.state(tenant_id, ada) is UserState.ACTIVE
    # The tenant's wall (set_config, first statement of the transaction), then the user's row.
    assert statements.count == 2, statements.statements
    assert "identity.users.id = " in statements.statements[1]
    statements.reset()
    assert await cache.state(tenant_id, ada) is UserState.ACTIVE
    assert statements.count == 0, statements.statements
    assert await cache.state(tenant_id, uuid.uuid4()) is UserState.UNKNOWN
