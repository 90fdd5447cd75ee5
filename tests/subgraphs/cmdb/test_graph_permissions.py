"""Who may read and change relationships and ask for impact: every root field and mutation
of relationships and impact analysis × anonymous, no permission, each built-in role and an
admin of another tenant. A refused call returns its code and writes nothing; the other
tenant's admin sees nothing of this tenant."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db.tables import events
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from resolvers.context import Context
from resolvers.principal import Principal
from subgraphs.cmdb import tables
from tests.subgraphs.cmdb.conftest import create_ci
from tests.support import Subgraph, count_rows

KINDS = ["anonymous", "no permission", "viewer", "operator", "admin", "other tenant"]
# (name, operation, who may); $app, $other, $db and $relationship are made per test.
OPERATIONS = [
    ("relationshipTypes", "{ relationshipTypes { name } }", "viewer"),
    ("ciRelationship", "query($relationship: ID!) { ciRelationship(id: $relationship) "
     "{ type { name } } }", "viewer"),
    ("outageImpact", "query($db: ID!) { outageImpact(ciIds: [$db]) { graph { nodes "
     "{ distance } } } }", "viewer"),
    ("addRelationship", 'mutation($app: ID!, $other: ID!) { addRelationship(input: {parentId: '
     '$app, childId: $other, type: "DEPENDS_ON"}) { id } }', "operator"),
    ("removeRelationship", "mutation($relationship: ID!) { removeRelationship(id: "
     "$relationship) { id } }", "operator"),
]  # fmt: skip
ALLOWED = {"viewer": {"viewer", "operator", "admin"}, "operator": {"operator", "admin"}}


def principal(kind: str, tenant: uuid.UUID, other: uuid.UUID) -> Principal:
    if kind == "anonymous":
        return Principal(tenant_id=tenant)
    if kind == "other tenant":
        return REGISTRY.roles.principal(other, frozenset({"admin"}), authenticated=True)
    roles = frozenset() if kind == "no permission" else frozenset({kind})
    return REGISTRY.roles.principal(tenant, roles, authenticated=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name,operation,least", OPERATIONS, ids=[op[0] for op in OPERATIONS])
async def test_matrix(
    cmdb: Subgraph,
    sessions: Any,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    kind: str,
    name: str,
    operation: str,
    least: str,
) -> None:
    app = await create_ci(cmdb, "Application", "shop")
    other = await create_ci(cmdb, "Application", "recommendations")
    db = await create_ci(cmdb, "Database", "orders")
    made = await cmdb.ok(
        "mutation($app: ID!, $db: ID!) { addRelationship(input: {parentId: $app, childId: $db, "
        'type: "DEPENDS_ON"}) { id } }',
        app=app["id"],
        db=db["id"],
    )
    variables = {
        "app": app["id"],
        "other": other["id"],
        "db": db["id"],
        "relationship": made["addRelationship"]["id"],
    }
    used = {key: value for key, value in variables.items() if f"${key}" in operation}
    async with owner_sessions() as session, session.begin():
        other_tenant = await create_tenant(session, f"x-{uuid.uuid4().hex[:10]}", "Other")
    before = [
        await count_rows(owner_sessions, table, tenant_id)
        for table in (tables.CiRelationship, events.OutboxEvent)
    ]

    context = Context.open(sessions, principal=principal(kind, tenant_id, other_tenant))
    result = await cmdb.run(operation, context, **used)
    await context.close()

    codes = [error["extensions"]["code"] for error in result["errors"]]
    if kind in ALLOWED[least]:
        assert codes == [], result["errors"]
        return
    if kind == "other tenant":
        # Allowed there, but this tenant's rows are not: nothing found, nothing shown.
        assert codes in ([], ["NOT_FOUND"]), result["errors"]
        assert not result["data"] or "orders" not in str(result["data"])
        if name == "ciRelationship":
            assert result["data"] == {"ciRelationship": None}
    else:
        assert codes == ["UNAUTHENTICATED" if kind == "anonymous" else "FORBIDDEN"], codes
    after = [
        await count_rows(owner_sessions, table, tenant_id)
        for table in (tables.CiRelationship, events.OutboxEvent)
    ]
    assert after == before
