"""Listing configuration items: the filter grammar (class with its subclasses, status,
environment, criticality, team, name search, attribute equality and ranges), orderings,
keyset pagination, and statements that do not grow with the page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert

from subgraphs.cmdb import tables
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes
from tests.support import Subgraph

LIST = """
query($filter: CiFilter, $pagination: Pagination, $orderBy: CiOrder) {
  configurationItems(filter: $filter, pagination: $pagination, orderBy: $orderBy) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage endCursor }
  }
}"""
TEAM = "5f0c5a57-0000-4000-8000-000000000001"


async def insert_cis(owner_sessions: Any, tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    async with owner_sessions() as session, session.begin():
        await ensure_builtin_classes(session, tenant_id)
        await session.execute(
            insert(tables.ConfigurationItem),
            [
                {
                    "tenant_id": tenant_id,
                    "status": "IN_SERVICE",
                    "environment": "PRODUCTION",
                    "criticality": 3,
                    "attributes": {},
                    **row,
                    "class_id": builtin_id(tenant_id, "class", row["class_id"]),
                }
                for row in rows
            ],
        )


@pytest.fixture
async def estate(owner_sessions: Any, tenant_id: uuid.UUID) -> None:
    await insert_cis(
        owner_sessions,
        tenant_id,
        [
            {
                "class_id": "Server",
                "name": "web-01",
                "attributes": {"os": "linux", "cpuCount": 4, "installDate": "2023-05-01"},
                "support_team_id": uuid.UUID(TEAM),
            },
            {
                "class_id": "Server",
                "name": "web-02",
                "attributes": {"os": "linux", "cpuCount": 16, "installDate": "2024-07-01"},
                "criticality": 1,
            },
            {
                "class_id": "VirtualMachine",
                "name": "vm-01",
                "attributes": {"os": "windows", "cpuCount": 2},
                "environment": "TEST",
            },
            {
                "class_id": "Database",
                "name": "orders-db",
                "attributes": {"engine": "postgresql", "port": 5432},
                "status": "MAINTENANCE",
                "criticality": 1,
            },
            {
                "class_id": "Application",
                "name": "Order Portal",
                "attributes": {"version": "10"},
            },
        ],
    )


async def names(cmdb: Subgraph, **variables: Any) -> list[str]:
    data = await cmdb.ok(LIST, **variables)
    return [edge["node"]["name"] for edge in data["configurationItems"]["edges"]]


@pytest.mark.usefixtures("estate")
@pytest.mark.parametrize(
    "filter,expected",
    [
        (None, ["Order Portal", "orders-db", "vm-01", "web-01", "web-02"]),
        ({"className": ["Server"]}, ["vm-01", "web-01", "web-02"]),  # subclasses included
        ({"className": ["VirtualMachine", "Database"]}, ["orders-db", "vm-01"]),
        ({"className": ["NoSuchClass"]}, []),
        ({"status": ["MAINTENANCE"]}, ["orders-db"]),
        ({"environment": ["TEST"]}, ["vm-01"]),
        ({"criticality": [1]}, ["orders-db", "web-02"]),
        ({"supportTeamId": TEAM}, ["web-01"]),
        ({"search": "web"}, ["web-01", "web-02"]),
        ({"search": "portal"}, ["Order Portal"]),
        ({"attributes": [{"name": "os", "eq": "linux"}]}, ["web-01", "web-02"]),
        ({"attributes": [{"name": "os", "in": ["windows", "aix"]}]}, ["vm-01"]),
        ({"attributes": [{"name": "cpuCount", "gte": 4}]}, ["web-01", "web-02"]),
        ({"attributes": [{"name": "cpuCount", "gt": 2, "lt": 16}]}, ["web-01"]),
        ({"attributes": [{"name": "cpuCount", "lte": "9"}]}, []),  # a string: no number matches
        ({"attributes": [{"name": "installDate", "lt": "2024-01-01"}]}, ["web-01"]),
        ({"attributes": [{"name": "port", "exists": True}]}, ["orders-db"]),
        (
            {"className": ["Server"], "attributes": [{"name": "installDate", "exists": False}]},
            ["vm-01"],
        ),
        ({"attributes": [{"name": "os", "eq": "linux"}], "criticality": [1]}, ["web-02"]),
    ],
)
async def test_filters(cmdb: Subgraph, filter: Any, expected: list[str]) -> None:
    assert await names(cmdb, filter=filter) == expected


@pytest.mark.usefixtures("estate")
async def test_orderings_and_pages(cmdb: Subgraph) -> None:
    by_criticality = await names(cmdb, orderBy={"field": "CRITICALITY", "direction": "ASC"})
    assert by_criticality[:2] == ["orders-db", "web-02"]
    first = await cmdb.ok(LIST, pagination={"first": 2})
    page = first["configurationItems"]
    assert page["totalCount"] == 5 and page["pageInfo"]["hasNextPage"]
    rest = await names(cmdb, pagination={"first": 10, "after": page["pageInfo"]["endCursor"]})
    assert rest == ["vm-01", "web-01", "web-02"]


@pytest.mark.usefixtures("estate")
async def test_bad_filters_are_refused(cmdb: Subgraph) -> None:
    for filter in (
        {"attributes": [{"name": "os", "gt": {"a": 1}}]},
        {"attributes": [{"name": "", "eq": 1}]},
        {"search": "x" * 201},
        {"supportTeamId": "not-an-id"},
    ):
        result = await cmdb.run(LIST, filter=filter)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", filter


async def test_statements_do_not_grow_with_the_page(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, statements: Any
) -> None:
    await insert_cis(
        owner_sessions,
        tenant_id,
        [
            {"class_id": ("VirtualMachine", "Server", "Database")[n % 3], "name": f"ci-{n:03d}"}
            for n in range(60)
        ],
    )
    query = """query($first: Int!) { configurationItems(pagination: {first: $first}) {
      edges { node { name attribute(name: "os") ciClass { name parent { name } }
                     history { kind } } } } }"""
    counts = []
    for first in (3, 50):
        statements.reset()
        data = await cmdb.ok(query, first=first)
        assert len(data["configurationItems"]["edges"]) == first
        counts.append(statements.count)
    assert counts[0] == counts[1], statements.statements


async def test_entities_are_resolved_in_one_batch(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, statements: Any
) -> None:
    await insert_cis(
        owner_sessions,
        tenant_id,
        [{"class_id": "Server", "name": f"e-{n:02d}"} for n in range(20)],
    )
    ids = [
        edge["node"]["id"]
        for edge in (
            await cmdb.ok(
                "{ configurationItems(pagination: {first: 20}) { edges { node { id } } } }"
            )
        )["configurationItems"]["edges"]
    ]
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on ConfigurationItem { name ciClass { name } } } }"""
    counts = []
    for size in (2, 20):
        statements.reset()
        data = await cmdb.ok(
            query, r=[{"__typename": "ConfigurationItem", "id": id} for id in ids[:size]]
        )
        assert [e["name"] for e in data["_entities"]] == [f"e-{n:02d}" for n in range(size)]
        counts.append(statements.count)
    assert counts[0] == counts[1], statements.statements
