"""The discovery feed against real PostgreSQL: create, update, unchanged, failed items not
written, relationships reconciled per source, retireMissing, adoption of a CI made by hand,
and a feed run twice writing nothing the second time (no history, no event, no audit)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from db.tables.audit import AuditEntry
from db.tables.events import OutboxEvent
from db.tenants import create_tenant
from subgraphs.cmdb import tables
from tests.subgraphs.cmdb.conftest import create_ci
from tests.support import Subgraph, count_rows

UPSERT = """mutation($input: UpsertConfigurationItemsInput!) {
  upsertConfigurationItems(input: $input) {
    created updated unchanged failed retired relationshipsAdded relationshipsRemoved
    items { externalId outcome error { code field } configurationItem { id name status
      source externalId attributes } }
  }
}"""
RELATIONS = """query($id: ID!) { configurationItem(id: $id) {
  relationships(direction: CHILDREN) { type { name } child { name } } } }"""

FEED = [
    {
        "externalId": "vm-1",
        "className": "VirtualMachine",
        "name": "web-1",
        "attributes": {"os": "linux", "cpuCount": 2},
        "relationships": [{"type": "MEMBER_OF", "externalId": "cl-1"}],
    },
    {
        "externalId": "vm-2",
        "className": "VirtualMachine",
        "name": "web-2",
        "attributes": {"os": "linux"},
        "relationships": [{"type": "MEMBER_OF", "externalId": "cl-1"}],
    },
    {"externalId": "cl-1", "className": "Cluster", "name": "web", "attributes": {}},
]


async def upsert(cmdb: Subgraph, items: list[dict[str, Any]], **fields: Any) -> Any:
    data = await cmdb.ok(UPSERT, input={"source": "vcenter", "items": items, **fields})
    return data["upsertConfigurationItems"]


def totals(result: Any) -> dict[str, int]:
    return {key: value for key, value in result.items() if key != "items"}


async def writes(owner_sessions: Any, tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows that a write leaves: history, events, audit, CIs, relationships."""
    return {
        table.__name__: await count_rows(owner_sessions, table, tenant_id)
        for table in (
            tables.CiChange,
            OutboxEvent,
            AuditEntry,
            tables.ConfigurationItem,
            tables.CiRelationship,
        )
    }


async def test_a_feed_creates_then_writes_nothing_when_run_again(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, statements: Any
) -> None:
    first = await upsert(cmdb, FEED)
    after_first = await writes(owner_sessions, tenant_id)
    statements.reset()
    second = await upsert(cmdb, FEED)

    assert totals(first) == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "retired": 0,
        "relationshipsAdded": 2,
        "relationshipsRemoved": 0,
    }
    assert [i["outcome"] for i in first["items"]] == ["CREATED"] * 3
    made = first["items"][0]["configurationItem"]
    assert made["source"] == "vcenter" and made["externalId"] == "vm-1"
    assert made["attributes"] == {"os": "linux", "cpuCount": 2}
    assert totals(second)["unchanged"] == 3 and totals(second)["relationshipsAdded"] == 0
    assert await writes(owner_sessions, tenant_id) == after_first
    assert not [s for s in statements.statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    related = await cmdb.ok(RELATIONS, id=made["id"])
    assert related["configurationItem"]["relationships"] == [
        {"type": {"name": "MEMBER_OF"}, "child": {"name": "web"}}
    ]


async def test_changes_update_and_relationships_follow_the_feed(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    created = await upsert(cmdb, FEED)
    vm1 = created["items"][0]["configurationItem"]["id"]
    cluster = created["items"][2]["configurationItem"]["id"]
    db = await create_ci(cmdb, "Database", "orders")  # by hand: the feed leaves it alone
    await cmdb.ok(
        "mutation($input: AddRelationshipInput!) { addRelationship(input: $input) { id } }",
        input={"parentId": db["id"], "childId": vm1, "type": "RUNS_ON"},
    )
    changed = [
        {**FEED[0], "name": "web-01", "attributes": {"cpuCount": 4}, "relationships": []},
        FEED[1],
        FEED[2],
    ]

    result = await upsert(cmdb, changed)

    assert [i["outcome"] for i in result["items"]] == ["UPDATED", "UNCHANGED", "UNCHANGED"]
    assert totals(result)["relationshipsRemoved"] == 1
    item = result["items"][0]["configurationItem"]
    assert item["name"] == "web-01"
    assert item["attributes"] == {"os": "linux", "cpuCount": 4}  # os kept, cpuCount set
    history = await cmdb.ok(
        "query($id: ID!) { configurationItem(id: $id) { history { kind } } }", id=vm1
    )
    assert [h["kind"] for h in history["configurationItem"]["history"]] == ["CREATED", "UPDATED"]
    assert (await cmdb.ok(RELATIONS, id=vm1))["configurationItem"]["relationships"] == []
    # The hand-made relationship to the VM is not the feed's to remove.
    by_hand = await cmdb.ok(RELATIONS, id=db["id"])
    assert by_hand["configurationItem"]["relationships"] == [
        {"type": {"name": "RUNS_ON"}, "child": {"name": "web-01"}}
    ]
    r = tables.CiRelationship
    async with owner_sessions() as session:
        left = (await session.execute(select(r.source).where(r.tenant_id == tenant_id))).scalars()
        assert sorted(left, key=str) == [None, "vcenter"]  # vm-2 → cluster, and by hand
    assert cluster


async def test_failed_items_are_reported_and_not_written(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    items = [
        FEED[2],
        {
            "externalId": "vm-9",
            "className": "VirtualMachine",
            "name": "x",
            "attributes": {"os": "beos"},
        },
        {"externalId": "n-1", "className": "Nope", "name": "y"},
        {
            "externalId": "vm-3",
            "className": "VirtualMachine",
            "name": "web-3",
            "relationships": [{"type": "MEMBER_OF", "externalId": "nowhere"}],
        },
    ]

    result = await upsert(cmdb, items)

    outcomes = [(i["outcome"], i["error"]) for i in result["items"]]
    assert outcomes == [
        ("CREATED", None),
        ("FAILED", {"code": "BAD_USER_INPUT", "field": "items[1].attributes.os"}),
        ("FAILED", {"code": "BAD_USER_INPUT", "field": "items[2].className"}),
        # The CI is written; its relationship to a CI the source lacks is not.
        ("CREATED", {"code": "NOT_FOUND", "field": "items[3].relationships[0]"}),
    ]
    names = await _names(owner_sessions, tenant_id)
    assert names == ["web", "web-3"]


async def test_retire_missing_retires_what_the_source_no_longer_lists(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    await upsert(cmdb, FEED)
    by_hand = await create_ci(cmdb, "Server", "not-the-feeds")

    result = await upsert(cmdb, [FEED[0], FEED[2]], retireMissing=True)
    again = await upsert(cmdb, [FEED[0], FEED[2]], retireMissing=True)

    assert result["retired"] == 1 and again["retired"] == 0
    statuses = await cmdb.ok(
        "query { configurationItems(filter: {status: [RETIRED]}) { edges { node { name } } } }"
    )
    assert statuses["configurationItems"]["edges"] == [{"node": {"name": "web-2"}}]
    kept = await cmdb.ok(
        "query($id: ID!) { configurationItem(id: $id) { status } }", id=by_hand["id"]
    )
    assert kept["configurationItem"]["status"] == "IN_SERVICE"


async def test_a_ci_made_by_hand_is_adopted_by_class_and_name(cmdb: Subgraph) -> None:
    made = await create_ci(cmdb, "Cluster", "web")

    result = await upsert(cmdb, [FEED[2]])

    item = result["items"][0]
    assert item["outcome"] == "UPDATED"
    assert item["configurationItem"]["id"] == made["id"]
    assert item["configurationItem"]["source"] == "vcenter"
    assert (await upsert(cmdb, [FEED[2]]))["items"][0]["outcome"] == "UNCHANGED"


async def test_the_call_is_refused_whole_for_a_bad_source_or_too_many_items(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    empty = await cmdb.run(UPSERT, input={"source": " ", "items": FEED})
    many = [{"externalId": f"x-{n}", "className": "Server", "name": f"s-{n}"} for n in range(1001)]
    too_many = await cmdb.run(UPSERT, input={"source": "vcenter", "items": many})

    assert [e["extensions"]["code"] for e in empty["errors"]] == ["BAD_USER_INPUT"]
    assert [e["extensions"]["code"] for e in too_many["errors"]] == ["BAD_USER_INPUT"]
    assert await _names(owner_sessions, tenant_id) == []


async def _names(owner_sessions: Any, tenant_id: uuid.UUID) -> list[str]:
    ci = tables.ConfigurationItem
    async with owner_sessions() as session:
        rows = await session.scalars(select(ci.name).where(ci.tenant_id == tenant_id))
        return sorted(rows)


async def test_a_feed_sees_only_its_tenant(
    cmdb: Subgraph, new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    mine = await upsert(cmdb, FEED)
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
    # The other tenant's feed names the same external ids: its own CIs, not these; and a
    # relationship to an external id only this tenant has is NOT_FOUND there.
    theirs = await cmdb.ok(
        UPSERT,
        new_context(other),
        input={
            "source": "vcenter",
            "items": [
                FEED[2],
                {**FEED[0], "relationships": [{"type": "MEMBER_OF", "externalId": "vm-2"}]},
            ],
        },
    )
    result = theirs["upsertConfigurationItems"]

    assert [i["outcome"] for i in result["items"]] == ["CREATED", "CREATED"]
    assert result["items"][1]["error"] == {
        "code": "NOT_FOUND",
        "field": "items[1].relationships[0]",
    }
    ids = {i["configurationItem"]["id"] for i in result["items"]}
    assert not ids & {i["configurationItem"]["id"] for i in mine["items"]}
    assert await _names(owner_sessions, tenant_id) == ["web", "web-1", "web-2"]


async def test_a_failed_update_or_relationship_change_leaves_the_item_as_it_was(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    await upsert(cmdb, FEED)
    before = await writes(owner_sessions, tenant_id)
    db = {"externalId": "db-1", "className": "Database", "name": "orders"}
    refused = await upsert(
        cmdb,
        [
            # Renamed, but with an attribute its class refuses: not renamed either.
            {**FEED[0], "name": "renamed", "attributes": {"cpuCount": "many"}},
            # Two changes (MEMBER_OF no longer listed, a new one against the rules): neither
            # is made.
            {**FEED[1], "relationships": [{"type": "CONTAINS", "externalId": "vm-1"}]},
            FEED[2],
            db,
        ],
    )

    outcomes = [(i["outcome"], i["error"] and i["error"]["code"]) for i in refused["items"]]
    assert outcomes == [
        ("FAILED", "BAD_USER_INPUT"),
        ("UNCHANGED", "BAD_USER_INPUT"),
        ("UNCHANGED", None),
        ("CREATED", None),
    ]
    assert await _names(owner_sessions, tenant_id) == ["orders", "web", "web-1", "web-2"]
    after = await writes(owner_sessions, tenant_id)
    assert after["CiRelationship"] == before["CiRelationship"]
    # The database's creation only: its history entry, its event, the call's audit record.
    assert after["CiChange"] == before["CiChange"] + 1
    assert after["OutboxEvent"] == before["OutboxEvent"] + 1
