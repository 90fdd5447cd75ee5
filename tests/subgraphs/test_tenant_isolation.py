"""Tenant A's requests, through the subgraphs, cannot reach tenant B's data in any way: not by
id, number, filter or cursor, not through lists, counts, `_entities`, and no mutation of
theirs changes B's rows. Request contexts connect as the application role, so the database's
walls stand behind the resolvers' own tenant filters here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tenants import create_tenant
from subgraphs.identity import tables as identity_tables
from subgraphs.incidents import tables as incident_tables
from tests.support import Subgraph

CREATE_INCIDENT = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number } }"""
ADD_COMMENT = """mutation($id: ID!) {
  addComment(incidentId: $id, input: {body: "sneaky"}) { id } }"""
LIST = """query($filter: IncidentFilter, $pagination: Pagination) {
  incidents(filter: $filter, pagination: $pagination) {
    totalCount edges { node { id } } pageInfo { endCursor startCursor } } }"""


@dataclass(frozen=True)
class Other:
    """Tenant B and what it owns."""

    tenant: uuid.UUID
    user: str
    team: str
    incidents: list[dict[str, Any]]  # INC-1 and INC-2, the first assigned and commented on


@pytest.fixture
async def other(
    owner_sessions: async_sessionmaker[AsyncSession],
    new_context: Any,
    identity: Subgraph,
    incidents: Subgraph,
) -> Other:
    async with owner_sessions() as session, session.begin():
        slug = f"b-{uuid.uuid4().hex[:10]}"
        tenant = await create_tenant(session, slug, "Tenant B")

    def as_b() -> Any:
        return new_context(tenant)

    user = await identity.ok(
        'mutation { createUser(input: {name: "Bea Secret", email: "bea@b.io"}) { id } }', as_b()
    )
    team = await identity.ok('mutation { createTeam(input: {name: "B-Team"}) { id } }', as_b())
    user_id, team_id = user["createUser"]["id"], team["createTeam"]["id"]
    await identity.ok(
        "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
        as_b(),
        t=team_id,
        u=user_id,
    )
    created = [
        (await incidents.ok(CREATE_INCIDENT, as_b(), input=fields))["createIncident"]
        for fields in (
            {"title": "Zanzibar payroll leak", "assigneeId": user_id, "teamId": team_id},
            {"title": "Zanzibar second", "priority": "CRITICAL"},
        )
    ]
    await incidents.ok(ADD_COMMENT, as_b(), id=created[0]["id"])
    return Other(tenant, user_id, team_id, created)


@pytest.fixture
async def mine(incidents: Subgraph) -> dict[str, Any]:
    """Tenant A's own INC-1 (B has an INC-1 too)."""
    data = await incidents.ok(CREATE_INCIDENT, input={"title": "Printer jam"})
    return data["createIncident"]  # type: ignore[no-any-return]


async def b_state(owner_sessions: async_sessionmaker[AsyncSession], other: Other) -> Any:
    """Everything of B's that a mutation from A could touch, read by the owner."""
    i, c, m = incident_tables.Incident, incident_tables.IncidentComment, identity_tables.TeamMember
    async with owner_sessions() as session:
        rows = (
            await session.execute(
                select(i.id, i.title, i.status, i.assignee_id, i.team_id, i.updated_at)
                .where(i.tenant_id == other.tenant)
                .order_by(i.number)
            )
        ).all()
        comments = await session.scalar(
            select(func.count()).select_from(c).where(c.tenant_id == other.tenant)
        )
        members = await session.scalar(
            select(func.count()).select_from(m).where(m.tenant_id == other.tenant)
        )
    return rows, comments, members


async def test_reads_by_id_and_number_find_nothing(
    incidents: Subgraph, identity: Subgraph, other: Other, mine: dict[str, Any]
) -> None:
    theirs = other.incidents[0]["id"]
    data = await incidents.ok(
        """query($id: ID!) { byId: incident(id: $id) { id }
        one: incidentByNumber(number: "INC-1") { id }
        two: incidentByNumber(number: "INC-2") { id } }""",
        id=theirs,
    )
    assert data == {"byId": None, "one": {"id": mine["id"]}, "two": None}
    data = await identity.ok(
        "query($u: ID!, $t: ID!) { user(id: $u) { id } team(id: $t) { id } }",
        u=other.user,
        t=other.team,
    )
    assert data == {"user": None, "team": None}


@pytest.mark.parametrize(
    "filter",
    [
        None,
        {"search": "Zanzibar"},
        {"priority": ["CRITICAL"]},
        {"status": ["OPEN", "IN_PROGRESS", "ON_HOLD", "RESOLVED", "CLOSED", "CANCELLED"]},
    ],
)
async def test_lists_and_counts_hold_only_the_tenants_rows(
    incidents: Subgraph, other: Other, mine: dict[str, Any], filter: Any
) -> None:
    data = (await incidents.ok(LIST, filter=filter))["incidents"]
    ids = [edge["node"]["id"] for edge in data["edges"]]
    assert ids == (
        [] if filter in ({"search": "Zanzibar"}, {"priority": ["CRITICAL"]}) else [mine["id"]]
    )
    assert data["totalCount"] == len(ids)


async def test_filters_by_the_other_tenants_ids_find_nothing(
    incidents: Subgraph, identity: Subgraph, other: Other, mine: dict[str, Any]
) -> None:
    for filter in ({"assigneeId": other.user}, {"teamId": other.team}):
        data = (await incidents.ok(LIST, filter=filter))["incidents"]
        assert (data["totalCount"], data["edges"]) == (0, [])
    data = await identity.ok(
        """query($t: ID!) { members: users(filter: {teamId: $t}) { totalCount }
        named: users(filter: {search: "Bea"}) { totalCount }
        teams: teams(filter: {search: "B-Team"}) { totalCount } }""",
        t=other.team,
    )
    assert data == {
        "members": {"totalCount": 0},
        "named": {"totalCount": 0},
        "teams": {"totalCount": 0},
    }


async def test_the_other_tenants_cursors_lead_only_to_own_rows(
    incidents: Subgraph, new_context: Any, other: Other, mine: dict[str, Any]
) -> None:
    """A cursor is a position (sort key and id), never a capability: B's cursors, replayed by
    A, page through A's rows only (A's INC-1 opened after both of B's incidents)."""
    page = await incidents.ok(LIST, new_context(other.tenant), pagination={"first": 2})
    info = page["incidents"]["pageInfo"]
    seen: set[str] = set()
    for cursor in (info["startCursor"], info["endCursor"]):
        for pagination in ({"first": 10, "after": cursor}, {"last": 10, "before": cursor}):
            data = await incidents.ok(LIST, pagination=pagination)
            seen |= {edge["node"]["id"] for edge in data["incidents"]["edges"]}
    assert seen == {mine["id"]}


async def test_entities_resolve_nothing_across_tenants(
    incidents: Subgraph, identity: Subgraph, other: Other
) -> None:
    data = await incidents.ok(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Incident { id } } }",
        r=[{"__typename": "Incident", "id": i["id"]} for i in other.incidents],
    )
    assert data == {"_entities": [None, None]}
    data = await identity.ok(
        "query($r: [_Any!]!) { _entities(representations: $r) {"
        " ... on User { id } ... on Team { id } } }",
        r=[{"__typename": "User", "id": other.user}, {"__typename": "Team", "id": other.team}],
    )
    assert data == {"_entities": [None, None]}


@pytest.mark.parametrize(
    "mutation",
    [
        'mutation($id: ID!) { updateIncident(id: $id, input: {title: "stolen"}) { id } }',
        "mutation($id: ID!) { transitionIncident(id: $id, input: {status: CANCELLED, "
        'cancelReason: "Gone"}) { dryRun } }',
        "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }",
        ADD_COMMENT,
    ],
)
async def test_mutations_on_the_other_tenants_incident_change_nothing(
    incidents: Subgraph,
    owner_sessions: async_sessionmaker[AsyncSession],
    other: Other,
    mine: dict[str, Any],
    mutation: str,
) -> None:
    before = await b_state(owner_sessions, other)
    variables = {"id": other.incidents[0]["id"]}
    if "$u" in mutation:
        variables["u"] = other.user
    result = await incidents.run(mutation, **variables)
    assert [e["extensions"]["code"] for e in result["errors"]] == ["NOT_FOUND"]
    assert await b_state(owner_sessions, other) == before


async def test_team_membership_of_the_other_tenant_is_out_of_reach(
    identity: Subgraph, owner_sessions: async_sessionmaker[AsyncSession], other: Other
) -> None:
    before = await b_state(owner_sessions, other)
    for mutation in ("addTeamMember", "removeTeamMember"):
        result = await identity.run(
            "mutation($t: ID!, $u: ID!) { " + mutation + "(teamId: $t, userId: $u) { id } }",
            t=other.team,
            u=other.user,
        )
        assert [e["extensions"]["code"] for e in result["errors"]] == ["NOT_FOUND"], mutation
    assert await b_state(owner_sessions, other) == before


async def a_state(owner_sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID) -> Any:
    """Tenant A's incidents and comments, read by the owner."""
    i, c = incident_tables.Incident, incident_tables.IncidentComment
    async with owner_sessions() as session:
        rows = (
            await session.execute(
                select(i.id, i.title, i.assignee_id, i.team_id, i.reporter_id, i.updated_at)
                .where(i.tenant_id == tenant)
                .order_by(i.number)
            )
        ).all()
        comments = (
            await session.execute(select(c.id, c.author_id).where(c.tenant_id == tenant))
        ).all()
    return rows, comments


NOBODY = "00000000-0000-4000-8000-00000000beef"
# (mutation, variables beyond $id; "B-user"/"B-team"/NOBODY placeholders), the argument named
REFERENCES = [
    (CREATE_INCIDENT, {"input": {"title": "x", "assigneeId": "B-user"}}, "input.assigneeId"),
    (CREATE_INCIDENT, {"input": {"title": "x", "reporterId": "B-user"}}, "input.reporterId"),
    (CREATE_INCIDENT, {"input": {"title": "x", "teamId": "B-team"}}, "input.teamId"),
    (CREATE_INCIDENT, {"input": {"title": "x", "assigneeId": NOBODY}}, "input.assigneeId"),
    (CREATE_INCIDENT, {"input": {"title": "x", "teamId": NOBODY}}, "input.teamId"),
    (
        "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }",
        {"u": "B-user"},
        "userId",
    ),
    (
        "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }",
        {"u": NOBODY},
        "userId",
    ),
    (
        "mutation($id: ID!, $t: ID!) { updateIncident(id: $id, input: {teamId: $t}) { id } }",
        {"t": "B-team"},
        "input.teamId",
    ),
    (
        "mutation($id: ID!, $u: ID!) "
        '{ addComment(incidentId: $id, input: {body: "hi", authorId: $u}) { id } }',
        {"u": "B-user"},
        "input.authorId",
    ),
]


@pytest.mark.parametrize(
    "mutation,variables,argument", REFERENCES, ids=[f"{r[2]}-{i}" for i, r in enumerate(REFERENCES)]
)
async def test_ids_of_the_other_tenant_or_of_nothing_are_refused(
    incidents: Subgraph,
    owner_sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    other: Other,
    mine: dict[str, Any],
    mutation: str,
    variables: dict[str, Any],
    argument: str,
) -> None:
    """A user or team id that is not one of the caller's tenant is NOT_FOUND naming the
    argument, and nothing is written (no incident, comment or change in either tenant)."""
    placeholders = {"B-user": other.user, "B-team": other.team}
    filled = {
        key: (
            {k: placeholders.get(v, v) for k, v in value.items()}
            if isinstance(value, dict)
            else placeholders.get(value, value)
        )
        for key, value in variables.items()
    }
    mine_before, theirs_before = (
        await a_state(owner_sessions, tenant_id),
        await b_state(owner_sessions, other),
    )
    result = await incidents.run(mutation, id=mine["id"], **filled)
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND", "field": argument}
    assert argument in error["message"]
    assert await a_state(owner_sessions, tenant_id) == mine_before
    assert await b_state(owner_sessions, other) == theirs_before
