"""Relationships against real PostgreSQL: adding and removing them, listing them from either
end, the rules on classes (inherited by subclasses), and every refusal writing nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from db.tables import events
from db.tenants import create_tenant
from subgraphs.cmdb import tables
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes
from tests.subgraphs.cmdb.conftest import create_ci
from tests.subgraphs.cmdb.test_ci_events import subscribe
from tests.support import Subgraph, count_rows

ADD = """
mutation($input: AddRelationshipInput!) {
  addRelationship(input: $input) {
    id type { name parentDescriptor childDescriptor dependentSide }
    parent { name } child { name } source createdAt
  }
}"""
REMOVE = "mutation($id: ID!) { removeRelationship(id: $id) { id type { name } parent { name } } }"
LIST = """
query($id: ID!, $direction: RelationshipDirection!, $types: [String!]) {
  configurationItem(id: $id) {
    relationships(direction: $direction, types: $types) {
      type { name } parent { name } child { name }
    }
  }
}"""


def code(result: dict[str, Any]) -> str:
    return result["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def relate(cmdb: Subgraph, parent: dict[str, Any], type_: str, child: dict[str, Any]) -> Any:
    data = await cmdb.ok(
        ADD, input={"parentId": parent["id"], "childId": child["id"], "type": type_}
    )
    return data["addRelationship"]


@pytest.fixture
async def shop(cmdb: Subgraph) -> dict[str, dict[str, Any]]:
    """An application, a VM and a database (CIs of the test's tenant)."""
    return {
        "app": await create_ci(cmdb, "Application", "shop"),
        "vm": await create_ci(cmdb, "VirtualMachine", "web-01"),
        "db": await create_ci(cmdb, "Database", "orders"),
    }


async def listed(
    cmdb: Subgraph, ci: dict[str, Any], direction: str, types: list[str] | None = None
) -> list[tuple[str, str, str]]:
    data = await cmdb.ok(LIST, id=ci["id"], direction=direction, types=types)
    return [
        (r["parent"]["name"], r["type"]["name"], r["child"]["name"])
        for r in data["configurationItem"]["relationships"]
    ]


async def test_added_relationships_are_listed_from_both_ends(
    cmdb: Subgraph, shop: dict[str, Any]
) -> None:
    # An Application may run on a Server: the rule covers VirtualMachine, a subclass.
    added = await relate(cmdb, shop["app"], "RUNS_ON", shop["vm"])
    assert added["type"] == {
        "name": "RUNS_ON",
        "parentDescriptor": "Runs on",
        "childDescriptor": "Runs",
        "dependentSide": "PARENT",
    }
    assert (added["parent"], added["child"], added["source"]) == (
        {"name": "shop"},
        {"name": "web-01"},
        None,
    )
    await relate(cmdb, shop["app"], "DEPENDS_ON", shop["db"])
    assert await listed(cmdb, shop["app"], "CHILDREN") == [
        ("shop", "RUNS_ON", "web-01"),
        ("shop", "DEPENDS_ON", "orders"),
    ]
    assert await listed(cmdb, shop["app"], "PARENTS") == []
    assert await listed(cmdb, shop["vm"], "BOTH") == [("shop", "RUNS_ON", "web-01")]
    assert await listed(cmdb, shop["app"], "BOTH", ["DEPENDS_ON"]) == [
        ("shop", "DEPENDS_ON", "orders")
    ]
    unknown = await cmdb.run(LIST, id=shop["app"]["id"], direction="BOTH", types=["LIKES"])
    assert code(unknown) == "BAD_USER_INPUT"


async def test_refusals_write_nothing(
    cmdb: Subgraph,
    shop: dict[str, Any],
    new_context: Any,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
) -> None:
    await relate(cmdb, shop["app"], "RUNS_ON", shop["vm"])
    other_tenant = await _other_tenant(owner_sessions)
    stranger = await create_ci(
        Subgraph(cmdb.schema, lambda: new_context(other_tenant)), "Server", "s"
    )
    outbox = await count_rows(owner_sessions, events.OutboxEvent, tenant_id)
    cases = [
        # to itself
        (shop["app"]["id"], shop["app"]["id"], "DEPENDS_ON", "BAD_USER_INPUT", "childId"),
        # a duplicate
        (shop["app"]["id"], shop["vm"]["id"], "RUNS_ON", "CONFLICT", "type"),
        # no rule lets a server run on an application
        (shop["vm"]["id"], shop["app"]["id"], "RUNS_ON", "BAD_USER_INPUT", "type"),
        # an unknown type
        (shop["app"]["id"], shop["db"]["id"], "LIKES", "BAD_USER_INPUT", "type"),
        # another tenant's CI, exactly like one that does not exist
        (shop["app"]["id"], stranger["id"], "RUNS_ON", "NOT_FOUND", "childId"),
        (shop["app"]["id"], str(uuid.uuid4()), "RUNS_ON", "NOT_FOUND", "childId"),
    ]
    for parent, child, type_, expected, field in cases:
        result = await cmdb.run(ADD, input={"parentId": parent, "childId": child, "type": type_})
        assert result["data"] is None
        [error] = result["errors"]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (expected, field)
    [hidden] = (
        await cmdb.run(
            ADD, input={"parentId": shop["app"]["id"], "childId": stranger["id"], "type": "RUNS_ON"}
        )
    )["errors"]
    assert hidden["message"] == f"No configuration item with id {stranger['id']}"
    assert await count_rows(owner_sessions, tables.CiRelationship, tenant_id) == 1
    assert await count_rows(owner_sessions, events.OutboxEvent, tenant_id) == outbox


async def test_a_rule_message_names_the_classes(cmdb: Subgraph, shop: dict[str, Any]) -> None:
    result = await cmdb.run(
        ADD, input={"parentId": shop["db"]["id"], "childId": shop["app"]["id"], "type": "RUNS_ON"}
    )
    assert result["errors"][0]["message"] == (
        "A Database cannot be related to a Application by RUNS_ON (Runs on)"
    )


async def test_a_retired_ci_gets_no_new_relationship(cmdb: Subgraph, shop: dict[str, Any]) -> None:
    await cmdb.ok(
        "mutation($id: ID!) { retireConfigurationItem(id: $id) { id } }", id=shop["db"]["id"]
    )
    result = await cmdb.run(
        ADD,
        input={"parentId": shop["app"]["id"], "childId": shop["db"]["id"], "type": "DEPENDS_ON"},
    )
    assert (code(result), result["errors"][0]["extensions"]["field"]) == ("CONFLICT", "childId")


async def test_add_and_remove_write_events_and_audit(
    cmdb: Subgraph, shop: dict[str, Any], owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    added = await relate(cmdb, shop["app"], "DEPENDS_ON", shop["db"])
    removed = await cmdb.ok(REMOVE, id=added["id"])
    assert removed["removeRelationship"] == {
        "id": added["id"],
        "type": {"name": "DEPENDS_ON"},
        "parent": {"name": "shop"},
    }
    assert code(await cmdb.run(REMOVE, id=added["id"])) == "NOT_FOUND"
    async with owner_sessions() as session:
        rows = (
            await session.execute(
                select(events.OutboxEvent.kind, events.OutboxEvent.payload)
                .where(
                    events.OutboxEvent.tenant_id == tenant_id,
                    events.OutboxEvent.kind.like("relationship.%"),
                )
                .order_by(events.OutboxEvent.id)
            )
        ).all()
    assert [kind for kind, _ in rows] == ["relationship.added", "relationship.removed"]
    assert rows[1][1] == {
        "id": added["id"],
        "parentId": shop["app"]["id"],
        "childId": shop["db"]["id"],
        "type": "DEPENDS_ON",
        "source": None,
    }
    assert await listed(cmdb, shop["app"], "BOTH") == []


async def test_the_database_orients_each_relationship(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """Runs on: the parent depends on the child; Member of: the child (a cluster) depends
    on its members."""
    vm = await create_ci(cmdb, "VirtualMachine", "web-01")
    app = await create_ci(cmdb, "Application", "shop")
    cluster = await create_ci(cmdb, "Cluster", "web")
    runs = await relate(cmdb, app, "RUNS_ON", vm)
    member = await relate(cmdb, vm, "MEMBER_OF", cluster)
    r = tables.CiRelationship
    async with owner_sessions() as session:
        oriented = {
            str(row.id): (str(row.provider_id), str(row.dependent_id))
            for row in await session.execute(
                select(r.id, r.provider_id, r.dependent_id).where(r.tenant_id == tenant_id)
            )
        }
    assert oriented == {runs["id"]: (vm["id"], app["id"]), member["id"]: (vm["id"], cluster["id"])}


async def test_listing_costs_the_same_statements_for_any_page(
    cmdb: Subgraph, statements: Any
) -> None:
    db = await create_ci(cmdb, "Database", "orders")
    query = """{ configurationItems(filter: {className: "Application"}) { edges { node {
        name relationships { type { name } child { name } } } } } }"""
    counts = []
    for size in (1, 4):
        while len(made := await _applications(cmdb)) < size:
            app = await create_ci(cmdb, "Application", f"app-{len(made)}")
            await relate(cmdb, app, "DEPENDS_ON", db)
        statements.reset()
        data = await cmdb.ok(query)
        assert len(data["configurationItems"]["edges"]) == size
        counts.append(statements.count)
    assert counts[0] == counts[1], statements.statements


async def _applications(cmdb: Subgraph) -> list[Any]:
    data = await cmdb.ok(
        '{ configurationItems(filter: {className: "Application"}) { edges { node { id } } } }'
    )
    return data["configurationItems"]["edges"]  # type: ignore[no-any-return]


async def test_the_database_walls_a_relationships_ends_in_its_tenant(
    cmdb: Subgraph, shop: dict[str, Any], owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """A relationship's ends are keyed by (tenant, CI) (migration cmdb_0006): even a writer
    the row-level walls let through (the owner here) cannot relate a CI to another tenant's,
    nor delete a CI a relationship still names."""
    other = await _other_tenant(owner_sessions)
    async with owner_sessions() as session, session.begin():
        await ensure_builtin_classes(session, other)
        foreign = await session.scalar(
            insert(tables.ConfigurationItem)
            .values(
                tenant_id=other,
                class_id=builtin_id(other, "class", "Database"),
                name="theirs",
                status="IN_SERVICE",
                environment="PRODUCTION",
                criticality=3,
            )
            .returning(tables.ConfigurationItem.id)
        )
    depends_on = builtin_id(tenant_id, "relationship-type", "DEPENDS_ON")
    with pytest.raises(IntegrityError, match="fk_ci_relationships_child_id_configuration_items"):
        async with owner_sessions() as session, session.begin():
            await session.execute(
                insert(tables.CiRelationship).values(
                    tenant_id=tenant_id,
                    parent_id=uuid.UUID(shop["app"]["id"]),
                    child_id=foreign,
                    type_id=depends_on,
                )
            )
    await relate(cmdb, shop["app"], "DEPENDS_ON", shop["db"])
    with pytest.raises(IntegrityError, match="fk_ci_relationships_child_id_configuration_items"):
        async with owner_sessions() as session, session.begin():
            await session.execute(
                delete(tables.ConfigurationItem).where(
                    tables.ConfigurationItem.id == uuid.UUID(shop["db"]["id"])
                )
            )
    assert await count_rows(owner_sessions, tables.CiRelationship, tenant_id) == 1


async def _other_tenant(owner_sessions: Any) -> uuid.UUID:
    async with owner_sessions() as session, session.begin():
        slug = f"t-{uuid.uuid4().hex[:10]}"
        return await create_tenant(session, slug, f"Tenant {slug}")


async def test_ci_events_stream_the_relationship_changes(
    cmdb: Subgraph, shop: dict[str, Any], sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    added = await relate(cmdb, shop["app"], "DEPENDS_ON", shop["db"])
    await cmdb.ok(REMOVE, id=added["id"])
    received = await subscribe(
        sessions, owner_sessions, tenant_id, filter={"className": ["Database"]}
    )
    changes = [e for e in received if e["kind"].startswith("RELATIONSHIP")]
    assert [(e["kind"], e["configurationItem"]["name"], e["relationship"]) for e in changes] == [
        ("RELATIONSHIP_ADDED", "orders", {"type": "DEPENDS_ON", "childId": shop["db"]["id"]}),
        ("RELATIONSHIP_REMOVED", "orders", {"type": "DEPENDS_ON", "childId": shop["db"]["id"]}),
    ]
