"""Listing configuration items: the filter grammar (class with its subclasses, status,
environment, criticality, team, name search, attribute equality and ranges), orderings,
keyset pagination, and statements that do not grow with the page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from db.scope import RequestDatabase
from subgraphs.cmdb import tables
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes
from subgraphs.cmdb.enums import CiEnvironment, CiStatus
from subgraphs.cmdb.filters import filtered, list_filtered
from subgraphs.cmdb.inputs import CiAttributeCondition, CiFilter
from tests.subgraphs.cmdb.conftest import CREATE_CI
from tests.support import READ_SO_FAR, Subgraph, analysed, rows_read, table_named

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
        ({"search": "-web"}, ["Order Portal", "orders-db", "vm-01"]),  # excludes: no narrowing
        ({"search": "portal or vm"}, ["Order Portal", "vm-01"]),
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


LONG = "".join(chr(0x4E00 + n * 7919 % 20000) for n in range(1000))  # CJK, 3 bytes each
TOKEN_ESTATE = [
    {"class_id": "Server", "name": "a", "attributes": {"cpuCount": 4, "os": "linux"}},
    {"class_id": "Server", "name": "b", "attributes": {"ratio": 1.5, "managed": True}},
    {"class_id": "Server", "name": "c", "attributes": {"note": 'say "hi" ü', "managed": False}},
    {"class_id": "Server", "name": "d", "attributes": {"tags": ["pci", "web"], "cpuCount": "4"}},
    {"class_id": "Server", "name": "e", "attributes": {"owner": {"team": "noc"}}},
    # 3,000 bytes that do not compress: too long for a token (an index entry); found by
    # containment alone.
    {"class_id": "Server", "name": "f", "attributes": {"note": LONG}},
]


@pytest.mark.parametrize(
    "condition,expected",
    [
        ({"name": "cpuCount", "eq": 4}, ["a"]),  # not d's string "4"
        ({"name": "cpuCount", "eq": 4.0}, ["a"]),  # numbers equal as jsonb compares them
        ({"name": "cpuCount", "eq": "4"}, ["d"]),
        ({"name": "ratio", "in": [1.50, "x"]}, ["b"]),
        ({"name": "managed", "eq": True}, ["b"]),
        ({"name": "managed", "eq": False}, ["c"]),
        ({"name": "note", "eq": 'say "hi" ü'}, ["c"]),
        ({"name": "tags", "eq": ["pci"]}, ["d"]),  # an array: containment alone
        ({"name": "tags", "eq": "pci"}, []),  # a scalar is not an array's element here
        ({"name": "owner", "eq": {"team": "noc"}}, ["e"]),
        ({"name": "os", "in": ["aix", "linux"]}, ["a"]),
        ({"name": "os", "eq": "linux", "in": ["aix"]}, []),
        ({"name": "note", "eq": LONG}, ["f"]),
    ],
)
async def test_attribute_equality_answers_as_containment(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, condition: Any, expected: list[str]
) -> None:
    """Attribute tokens narrow the CIs an `eq`/`in` looks at; the answer stays containment's
    (numbers by value, strings exactly, arrays and objects by containment alone)."""
    await insert_cis(owner_sessions, tenant_id, TOKEN_ESTATE)

    assert await names(cmdb, filter={"attributes": [condition]}) == expected


UPDATE_CI = """
mutation($id: ID!, $input: UpdateConfigurationItemInput!) {
  updateConfigurationItem(id: $id, input: $input) { id }
}"""
DELETE_CI = "mutation($id: ID!) { deleteConfigurationItem(id: $id) }"


async def test_attribute_tokens_follow_every_write_of_a_ci(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """Created, changed, removed and deleted attributes: the filters answer as the CIs are."""
    os_is = {"filter": {"attributes": [{"name": "os", "eq": "aix"}]}}
    created = await cmdb.ok(
        CREATE_CI, input={"className": "Server", "name": "p1", "attributes": {}}
    )
    ci = created["createConfigurationItem"]["id"]
    assert await names(cmdb, **os_is) == []

    await cmdb.ok(UPDATE_CI, id=ci, input={"attributes": {"os": "aix", "cpuCount": 8}})
    assert await names(cmdb, **os_is) == ["p1"]
    await cmdb.ok(UPDATE_CI, id=ci, input={"criticality": 1})  # attributes untouched
    assert await names(cmdb, **os_is) == ["p1"]
    await cmdb.ok(UPDATE_CI, id=ci, input={"attributes": {"os": "linux"}})
    assert await names(cmdb, **os_is) == []
    linux = {"filter": {"attributes": [{"name": "os", "eq": "linux"}]}}
    assert await names(cmdb, **linux) == ["p1"]
    await cmdb.ok(UPDATE_CI, id=ci, input={"attributes": {"os": None}})
    assert await names(cmdb, **linux) == []
    eight = {"filter": {"attributes": [{"name": "cpuCount", "eq": 8}]}}
    assert await names(cmdb, **eight) == ["p1"]
    many = {"filter": {"attributes": [{"name": "cpuCount", "gte": 8}]}}
    few = {"filter": {"attributes": [{"name": "cpuCount", "lt": 5}]}}
    assert (await names(cmdb, **many), await names(cmdb, **few)) == (["p1"], [])
    await cmdb.ok(UPDATE_CI, id=ci, input={"attributes": {"cpuCount": 4}})
    assert (await names(cmdb, **many), await names(cmdb, **few)) == ([], ["p1"])

    await cmdb.ok(DELETE_CI, id=ci)
    async with owner_sessions() as session:
        for table in (tables.CiAttributeToken, tables.CiAttributeNumber):
            left = await session.scalar(select(func.count()).where(table.owner_id == uuid.UUID(ci)))
            assert left == 0, table


RANGE_ESTATE = [
    {"class_id": "Server", "name": name, "attributes": {"n": n}}
    for name, n in (
        ("two-53-plus-1", 2**53 + 1),  # a float8 rounds it to 2**53
        ("two-53", 2**53),
        ("huge", 10**400),  # beyond float8: its token is the largest one
        ("tiny", -(10**400)),
        ("one-and-a-half", 1.5),
        ("seven-as-text", "7"),
    )
]


@pytest.mark.parametrize(
    "condition,expected",
    [
        ({"gt": 2**53}, ["huge", "two-53-plus-1"]),
        ({"gte": 2**53 + 1}, ["huge", "two-53-plus-1"]),
        ({"lt": 2**53 + 1}, ["one-and-a-half", "tiny", "two-53"]),
        ({"gte": 10**300}, ["huge"]),
        ({"lte": -(10**300)}, ["tiny"]),
        ({"gt": 1, "lt": 2}, ["one-and-a-half"]),
        ({"gte": 7, "lte": 2**53}, ["two-53"]),  # not the string "7"
        ({"gte": "7"}, ["seven-as-text"]),  # strings with strings, not narrowed
    ],
)
async def test_attribute_ranges_answer_as_the_numbers_compare(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, condition: Any, expected: list[str]
) -> None:
    """A range on numbers narrows the CIs it compares by their numbers as float8 (rounded and
    clamped, in order); the answer stays the exact comparison's: 2**53 + 1 is above 2**53,
    numbers beyond float8 in their place, strings apart."""
    await insert_cis(owner_sessions, tenant_id, RANGE_ESTATE)

    found = await names(cmdb, filter={"attributes": [{"name": "n", **condition}]})

    assert sorted(found) == expected


@pytest.mark.plans
async def test_an_attribute_filter_reads_only_the_cis_holding_the_value(
    database_url: str, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """Behind the tenant wall (the application role), `eq` finds its one CI among 5,001
    without reading the others: containment alone cannot use its index there. (Among a few
    thousand holding other values, reading them all was once the planner's choice.)"""
    estate = [{"class_id": "Server", "name": f"filler-{n:04}"} for n in range(5_000)]
    aix = {"class_id": "Server", "name": "x", "attributes": {"os": "aix"}}
    await insert_cis(owner_sessions, tenant_id, [*estate, aix])
    await analysed(owner_sessions, "cmdb.configuration_items", "cmdb.ci_attribute_tokens")
    condition = CiAttributeCondition(name="os", eq="aix")
    statement = filtered(
        select(tables.ConfigurationItem.name), tenant_id, CiFilter(attributes=[condition])
    )

    rows, read = await rows_read(database_url, tenant_id, statement, tables.ConfigurationItem)

    assert [row.name for row in rows] == ["x"]
    # The CI found, by its key (and the planner's look at the ends of an index: 3 in all
    # here); not the tenant's 5,001, as before cmdb_0007.
    assert read <= 5


@pytest.mark.plans
@pytest.mark.parametrize(
    ("common", "rare", "odd_one"),
    [
        (
            CiFilter(attributes=[CiAttributeCondition(name="os", eq="linux")]),
            CiFilter(attributes=[CiAttributeCondition(name="os", eq="aix")]),
            {"attributes": {"os": "aix"}},
        ),
        (
            CiFilter(attributes=[CiAttributeCondition(name="cpuCount", gte=1)]),
            CiFilter(attributes=[CiAttributeCondition(name="cpuCount", gte=100)]),
            {"attributes": {"os": "linux", "cpuCount": 128}},
        ),
        (
            CiFilter(class_name=["Server"]),  # VirtualMachine's too: none here
            CiFilter(class_name=["LoadBalancer"]),
            {"class_id": "LoadBalancer"},
        ),
        (
            CiFilter(status=[CiStatus.IN_SERVICE]),
            CiFilter(status=[CiStatus.MAINTENANCE]),
            {"status": "MAINTENANCE"},
        ),
        (
            CiFilter(environment=[CiEnvironment.PRODUCTION]),
            CiFilter(environment=[CiEnvironment.TEST]),
            {"environment": "TEST"},
        ),
        (CiFilter(source="feed"), CiFilter(source="another feed"), {"source": "another feed"}),
    ],
    ids=["attribute", "attribute range", "class", "status", "environment", "source"],
)
async def test_a_page_of_what_few_cis_are_reads_only_those(
    owner_sessions: Any,
    one_connection: Any,
    tenant_id: uuid.UUID,
    common: CiFilter,
    rare: CiFilter,
    odd_one: dict[str, Any],
) -> None:
    """A page of the CIs few hold an attribute's value (or a number in a range), are of a
    class (subclasses included), or have a status, environment or source reads those CIs,
    also after pages of what most CIs are, as a server asks them (its statement prepared
    once on the connection). A plan PostgreSQL kept for any attribute value, fit for one
    most CIs hold (walk the names' index, test each CI), read all 5,001 CIs for a value one
    CI held (17 ms at 115,000 CIs in bench.cmdb); numeric comparisons, not leakproof, read
    them all; found by a recursive subquery, the classes were unknown to the planner, which
    walked the names' index through every CI sorting before them (33,000 for the storage
    devices); status (but RETIRED), environment and source had no index."""
    attributes = {"os": "linux", "cpuCount": 8}
    server = {"class_id": "Server", "source": "feed", "attributes": attributes}
    estate = [{**server, "name": f"filler-{n:04}"} for n in range(5_000)]
    await insert_cis(owner_sessions, tenant_id, [*estate, {**server, **odd_one, "name": "zz"}])
    await analysed(
        owner_sessions,
        "cmdb.configuration_items",
        "cmdb.ci_attribute_tokens",
        "cmdb.ci_attribute_numbers",
    )
    ci = tables.ConfigurationItem

    async def page(f: CiFilter) -> tuple[list[str], int]:
        db = RequestDatabase(one_connection, tenant_id)
        try:
            statement = await list_filtered(db, select(ci.name), tenant_id, f)
            before = await db.rows(READ_SO_FAR, table_named(ci))
            rows = await db.rows(statement.order_by(ci.name, ci.id).limit(21))
            after = await db.rows(READ_SO_FAR, table_named(ci))
        finally:
            await db.close()
        return [row.name for row in rows], after[0].read - before[0].read

    for _ in range(8):  # past PostgreSQL's five plans for the values before one for any
        names, _read = await page(common)
        assert len(names) == 21
    names, read = await page(rare)

    assert names == ["zz"]
    assert read <= 5
