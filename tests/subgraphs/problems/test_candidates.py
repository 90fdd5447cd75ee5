"""`problemCandidates` through the router in-process: the read model filled from real
incident events by its consumer, a planted cluster of each kind found, linked incidents and
incidents outside the window ignored, bad windows refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import insert, update

from resolvers.errors import BadUserInput
from router.gateway import Gateway
from subgraphs.problems import candidates, tables
from subgraphs.problems.candidates import clusters, parse_window
from tests.subgraphs.cmdb.conftest import create_ci
from tests.subgraphs.problems.conftest import CREATE_INCIDENT, CREATE_PROBLEM, codes, ok, run
from tests.support import Subgraph

CANDIDATES = """query($window: String!, $min: Int!) {
  problemCandidates(window: $window, minIncidents: $min) {
    reason ci { name } category title incidentCount incidents { title }
  } }"""
UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { id } }"""


async def incident(gateway: Gateway, new_context: Any, title: str, **fields: Any) -> str:
    category = fields.pop("category", None)
    data = await ok(gateway, new_context(), CREATE_INCIDENT, input={"title": title, **fields})
    id = data["createIncident"]["id"]
    if category:  # an update's event carries the category whatever the create's holds
        await ok(gateway, new_context(), UPDATE, id=id, input={"category": category})
    return id  # type: ignore[no-any-return]


async def test_planted_clusters_are_found_and_linked_incidents_ignored(
    gateway: Gateway,
    cmdb: Subgraph,
    new_context: Any,
    catch_up: Any,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
) -> None:
    db = await create_ci(cmdb, "Database", "orders-db")
    for title in ("Disk full on orders-db", "Backup job failed", "Replication stopped"):
        await incident(gateway, new_context, title, ciId=db["id"])
    linked = await incident(gateway, new_context, "Orders slow", ciId=db["id"])
    old = await incident(gateway, new_context, "Index bloat", ciId=db["id"])
    for title in (
        "VPN drops every few minutes",
        "VPN drops every few minutes for sales",
        "VPN keeps dropping every few minutes",
    ):
        await incident(gateway, new_context, title)
    for title in ("Tape library offline", "Quota exceeded on share", "NAS fan alarm"):
        await incident(gateway, new_context, title, category="storage")
    problem = await ok(gateway, new_context(), CREATE_PROBLEM, input={"title": "Orders DB"})
    await ok(
        gateway,
        new_context(),
        "mutation($p: ID!, $i: ID!) { linkIncidents(problemId: $p, incidentIds: [$i]) { id } }",
        p=problem["createProblem"]["id"],
        i=linked,
    )
    await catch_up()
    async with owner_sessions() as session, session.begin():  # opened ten days ago
        fact = tables.IncidentFact
        await session.execute(
            update(fact)
            .where(fact.tenant_id == tenant_id, fact.incident_id == uuid.UUID(old))
            .values(opened_at=fact.opened_at - timedelta(days=10))
        )

    week = await ok(gateway, new_context(), CANDIDATES, window="P7D", min=3)
    month = await ok(gateway, new_context(), CANDIDATES, window="P1M", min=4)

    # Largest first, then the most recent: the storage incidents were opened last.
    assert week["problemCandidates"] == [
        {
            "reason": "SAME_CATEGORY",
            "ci": None,
            "category": "storage",
            "title": "Tape library offline",
            "incidentCount": 3,
            "incidents": [
                {"title": "Tape library offline"},
                {"title": "Quota exceeded on share"},
                {"title": "NAS fan alarm"},
            ],
        },
        {
            "reason": "SIMILAR_TITLES",
            "ci": None,
            "category": None,
            "title": "VPN drops every few minutes",
            "incidentCount": 3,
            "incidents": [
                {"title": "VPN drops every few minutes"},
                {"title": "VPN drops every few minutes for sales"},
                {"title": "VPN keeps dropping every few minutes"},
            ],
        },
        {
            "reason": "SAME_CI",
            "ci": {"name": "orders-db"},
            "category": None,
            "title": "Disk full on orders-db",
            "incidentCount": 3,
            "incidents": [
                {"title": "Disk full on orders-db"},
                {"title": "Backup job failed"},
                {"title": "Replication stopped"},
            ],
        },
    ]
    # A month back, the old incident joins the CI's cluster (the linked one never does).
    assert [(c["reason"], c["incidentCount"]) for c in month["problemCandidates"]] == [
        ("SAME_CI", 4)
    ]


@pytest.mark.parametrize("window", ["P7", "7 days", "", "P0D", "-P1D", "P2Y", "PT0S"])
async def test_bad_windows_are_refused(gateway: Gateway, new_context: Any, window: str) -> None:
    result = await run(gateway, new_context(), CANDIDATES, window=window, min=3)
    assert codes(result) == [("BAD_USER_INPUT", None)]
    assert result["errors"][0]["extensions"]["argument"] == "window"


async def test_a_window_over_the_bound_is_refused_and_one_at_it_answered(
    gateway: Gateway,
    new_context: Any,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Titles are compared pairwise: more than MAX_INCIDENTS in the window is refused (the
    bound made small here, to keep the test quick)."""
    monkeypatch.setattr(candidates, "MAX_INCIDENTS", 12)
    now = datetime.now(UTC)

    async def facts(numbers: range) -> None:
        async with owner_sessions() as session, session.begin():
            await session.execute(
                insert(tables.IncidentFact),
                [
                    {
                        "tenant_id": tenant_id,
                        "incident_id": uuid.uuid4(),
                        "number": number,
                        "title": f"Printer {number} jammed",
                        "status": "OPEN",
                        "opened_at": now - timedelta(hours=1),
                    }
                    for number in numbers
                ],
            )

    # Facts of no incident (they are the read model's alone): no incident field is asked.
    counts = """{ problemCandidates(window: "P1D", minIncidents: 2) { reason incidentCount } }"""
    await facts(range(1, candidates.MAX_INCIDENTS + 1))
    answered = await ok(gateway, new_context(), counts)
    assert answered["problemCandidates"] == [
        {"reason": "SIMILAR_TITLES", "incidentCount": candidates.MAX_INCIDENTS}
    ]
    await facts(range(candidates.MAX_INCIDENTS + 1, candidates.MAX_INCIDENTS + 2))

    result = await run(gateway, new_context(), counts)

    assert codes(result) == [("BAD_USER_INPUT", None)]
    assert result["errors"][0]["extensions"]["argument"] == "window"
    assert "shorter window" in result["errors"][0]["message"]


@pytest.mark.parametrize("minimum", [1, 101, -3])
async def test_bad_minimums_are_refused(gateway: Gateway, new_context: Any, minimum: int) -> None:
    result = await run(gateway, new_context(), CANDIDATES, window="P7D", min=minimum)
    error = result["errors"][0]["extensions"]
    assert (error["code"], error["argument"]) == ("BAD_USER_INPUT", "minIncidents")


def test_windows_are_iso_8601_durations() -> None:
    assert parse_window("P7D") == timedelta(days=7)
    assert parse_window("PT36H") == timedelta(hours=36)
    assert timedelta(days=28) <= parse_window("P1M") <= timedelta(days=31)
    with pytest.raises(BadUserInput):
        parse_window("P1W2")


def test_similar_titles_chain_but_titles_outside_the_window_join_nothing() -> None:
    """Titles similar in a chain (a~b, b~c) make one cluster; a similar title the window
    does not hold (x) links nothing. Rows as the statement returns them."""
    now = datetime.now(UTC)

    def row(title: str, *similar: str) -> SimpleNamespace:
        return SimpleNamespace(
            incident_id=uuid.uuid4(),
            title=title,
            category=None,
            ci_id=None,
            opened_at=now,
            similar=list(similar),
        )

    rows = [
        row("a", "b"),
        row("b", "a", "c"),
        row("c", "b"),
        row("d", "x"),
        row("e", "x"),
        row("a"),  # the same title twice: one group
    ]
    found = clusters(rows, 2)
    assert [(c.reason.value, c.incident_count) for c in found] == [("SIMILAR_TITLES", 4)]
