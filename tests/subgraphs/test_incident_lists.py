"""Listing incidents: keyset pagination both ways, orderings, filters, page-size limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from subgraphs.incidents import tables as tables
from tests.support import Subgraph

LIST = """
query($filter: IncidentFilter, $pagination: Pagination, $orderBy: IncidentOrder) {
  incidents(filter: $filter, pagination: $pagination, orderBy: $orderBy) {
    totalCount
    edges { cursor node { number } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE = "5f0c5a57-0000-4000-8000-00000000000a"
TEAM = "5f0c5a57-0000-4000-8000-0000000000te".replace("te", "01")


async def insert_incidents(owner_sessions: Any, tenant_id: Any, rows: list[dict[str, Any]]) -> None:
    base = {
        "tenant_id": tenant_id,
        "description": "",
        "status": "OPEN",
        "priority": 2,
        "impact": "MEDIUM",
        "urgency": "MEDIUM",
        "source": "MANUAL",
    }
    async with owner_sessions() as session, session.begin():
        await session.execute(insert(tables.Incident), [{**base, **row} for row in rows])


async def numbered(owner_sessions: Any, tenant_id: Any, count: int, start: int = 1) -> None:
    await insert_incidents(
        owner_sessions,
        tenant_id,
        [
            {
                "number": n,
                "title": f"incident {n}",
                "opened_at": T0 + timedelta(minutes=n),
                "created_at": T0 + timedelta(minutes=n),
                "updated_at": T0 + timedelta(minutes=n),
            }
            for n in range(start, start + count)
        ],
    )


async def page(incidents: Subgraph, **variables: Any) -> dict[str, Any]:
    return (await incidents.ok(LIST, **variables))["incidents"]  # type: ignore[no-any-return]


def numbers(connection: dict[str, Any]) -> list[int]:
    return [int(e["node"]["number"].removeprefix("INC-")) for e in connection["edges"]]


async def test_forward_pages_newest_first_without_gaps_while_rows_arrive(
    incidents: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    await numbered(owner_sessions, tenant_id, 25)
    seen: list[int] = []
    after = None
    while True:
        connection = await page(incidents, pagination={"first": 10, "after": after})
        seen += numbers(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        if len(seen) == 10:  # new incidents open while the client pages
            await numbered(owner_sessions, tenant_id, 5, start=100)
    assert seen == list(range(25, 0, -1))
    assert connection["pageInfo"]["hasPreviousPage"] is True
    assert connection["totalCount"] == 30


async def test_backward_pages_mirror_forward_pages(
    incidents: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    await numbered(owner_sessions, tenant_id, 12)
    last = await page(incidents, pagination={"last": 5})
    assert numbers(last) == [5, 4, 3, 2, 1]
    assert last["pageInfo"]["hasPreviousPage"] is True
    before = await page(
        incidents, pagination={"last": 5, "before": last["pageInfo"]["startCursor"]}
    )
    assert numbers(before) == [10, 9, 8, 7, 6]
    rest = await page(
        incidents, pagination={"last": 5, "before": before["pageInfo"]["startCursor"]}
    )
    assert numbers(rest) == [12, 11]
    assert rest["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_orderings_are_total_and_stable(
    incidents: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    # Same opened_at for all: ties are broken by id, the same way on every page.
    await insert_incidents(
        owner_sessions,
        tenant_id,
        [
            {
                "number": n,
                "title": "t",
                "priority": 1 + n % 4,
                "opened_at": T0,
                "updated_at": T0 + timedelta(minutes=-n),
            }
            for n in range(1, 9)
        ],
    )
    order = {"field": "PRIORITY", "direction": "DESC"}
    everything = numbers(await page(incidents, orderBy=order))
    first = await page(incidents, orderBy=order, pagination={"first": 3})
    second = await page(
        incidents, orderBy=order, pagination={"first": 5, "after": first["pageInfo"]["endCursor"]}
    )
    assert numbers(first) + numbers(second) == everything
    assert everything[:2] in ([3, 7], [7, 3])  # priority 4 first
    updated = numbers(await page(incidents, orderBy={"field": "UPDATED_AT", "direction": "ASC"}))
    assert updated == [8, 7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    "pagination,message",
    [
        ({"first": 101}, "Page size must be between 0 and 100, got 101"),
        ({"first": -1}, "Page size must be between 0 and 100, got -1"),
        ({"first": 1, "last": 1}, "Pass either `first` or `last`, not both"),
        ({"first": 1, "before": "x"}, "Use `first` with `after` and `last` with `before`"),
        ({"after": "not-a-cursor"}, "Invalid cursor"),
        ({"after": "W10"}, "Invalid cursor"),
    ],
)
async def test_bad_pagination_is_bad_user_input(
    incidents: Subgraph, pagination: dict[str, Any], message: str
) -> None:
    result = await incidents.run(LIST, pagination=pagination)
    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
        ("BAD_USER_INPUT", message)
    ]


async def test_a_cursor_only_fits_its_own_order(
    incidents: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    await numbered(owner_sessions, tenant_id, 3)
    cursor = (await page(incidents, pagination={"first": 1}))["pageInfo"]["endCursor"]
    result = await incidents.run(
        LIST, pagination={"first": 1, "after": cursor}, orderBy={"field": "PRIORITY"}
    )
    assert result["errors"][0]["message"] == (
        "This cursor belongs to the order OPENED_AT:DESC, not PRIORITY:DESC"
    )


async def test_filters(incidents: Subgraph, owner_sessions: Any, tenant_id: Any) -> None:
    await insert_incidents(
        owner_sessions,
        tenant_id,
        [
            {
                "number": 1,
                "title": "VPN tunnel flapping",
                "status": "OPEN",
                "priority": 4,
                "assignee_id": ALICE,
                "created_at": T0,
                "updated_at": T0,
            },
            {
                "number": 2,
                "title": "Printer jam",
                "description": "paper stuck in the tunnel",
                "status": "IN_PROGRESS",
                "priority": 1,
                "team_id": TEAM,
                "created_at": T0 + timedelta(days=1),
                "updated_at": T0 + timedelta(days=5),
            },
            {
                "number": 3,
                "title": "Mail delayed",
                "status": "CLOSED",
                "resolution_code": "FIXED",  # what a CLOSED incident has (lifecycle)
                "priority": 2,
                "created_at": T0 + timedelta(days=2),
                "updated_at": T0 + timedelta(days=2),
            },
        ],
    )

    async def matching(filter: dict[str, Any]) -> list[int]:
        return sorted(numbers(await page(incidents, filter=filter)))

    assert await matching({"status": ["OPEN", "IN_PROGRESS"]}) == [1, 2]
    assert await matching({"priority": ["CRITICAL"]}) == [1]
    assert await matching({"assigneeId": ALICE}) == [1]
    assert await matching({"teamId": TEAM}) == [2]
    assert await matching({"unassigned": True}) == [2, 3]
    assert await matching({"search": "tunnel"}) == [1, 2]
    assert await matching({"search": "printers"}) == [2]  # stemmed
    assert await matching({"search": "'; DROP TABLE incidents; --"}) == []
    # Web search syntax, the incidents found first by their lexemes (db/value_tokens.py):
    # phrases, alternatives, and exclusions (a search that only excludes matches incidents
    # holding none of its words: no lexeme to find them by).
    assert await matching({"search": '"paper stuck"'}) == [2]
    assert await matching({"search": "printer or mail"}) == [2, 3]
    assert await matching({"search": "tunnel -printer"}) == [1]
    assert await matching({"search": "-tunnel"}) == [3]
    assert await matching({"search": "the"}) == []  # only a stop word: matches nothing
    assert await matching({"createdAfter": "2026-01-02T00:00:00Z"}) == [2, 3]
    assert await matching({"createdBefore": "2026-01-02T00:00:00Z"}) == [1]
    assert await matching({"updatedAfter": "2026-01-04T00:00:00Z"}) == [2]
    assert await matching({"status": ["OPEN"], "search": "printer"}) == []
    total = await page(incidents, filter={"status": ["OPEN", "CLOSED"]}, pagination={"first": 1})
    assert total["totalCount"] == 2 and len(total["edges"]) == 1


async def test_comments_last_n(incidents: Subgraph) -> None:
    created = await incidents.ok('mutation { createIncident(input: {title: "x"}) { id } }')
    incident_id = created["createIncident"]["id"]
    for body in ("one", "two", "three", "four"):
        await incidents.ok(
            "mutation($id: ID!, $b: String!) { addComment(incidentId: $id, input: {body: $b}) "
            "{ id } }",
            id=incident_id,
            b=body,
        )
    data = await incidents.ok(
        "query($id: ID!) { incident(id: $id) { all: comments { body } "
        "last: comments(last: 3) { body } none: comments(last: 0) { body } } }",
        id=incident_id,
    )
    assert [c["body"] for c in data["incident"]["all"]] == ["one", "two", "three", "four"]
    assert [c["body"] for c in data["incident"]["last"]] == ["two", "three", "four"]
    assert data["incident"]["none"] == []
