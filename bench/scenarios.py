"""The benchmark's scenarios: GraphQL operations a service desk sends all day."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.driver import Connection, HttpError, Iteration
from resolvers.pagination import encode_cursor
from subgraphs.incidents.enums import IncidentSortField, SortDirection
from subgraphs.incidents.inputs import IncidentOrder
from subgraphs.incidents.queries import sort_order

PAGE = """query IncidentPage($status: [IncidentStatus!], $first: Int!, $after: String) {
  incidents(filter: {status: $status}, pagination: {first: $first, after: $after},
            orderBy: {field: OPENED_AT, direction: DESC}) {
    edges { node {
      id number title status priority openedAt
      assignee { name email }
      team { name }
      reporter { name }
      comments(last: 3) { body createdAt author { name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""

DETAIL = """query IncidentDetail($id: ID!) {
  incident(id: $id) {
    id number title description status priority impact urgency category source externalId
    openedAt acknowledgedAt resolvedAt closedAt updatedAt
    assignee { name email teams { name } }
    team { name members { name } }
    reporter { name email }
    comments { body visibility createdAt author { name } }
    history { kind createdAt changes { field oldValue newValue } actor { name } }
  }
}"""

CREATE = """mutation Create($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number }
}"""
ASSIGN = """mutation Assign($id: ID!, $user: ID!) {
  assignIncident(id: $id, userId: $user) { number assignee { name } }
}"""

PAGE_VARIABLES = {"status": ["OPEN"], "first": 50}
# The page as a mobile client sends it after the first time: its SHA-256 only (APQ).
PAGE_APQ = {
    "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(PAGE.encode()).hexdigest()}
}


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    iteration: Iteration
    # The GraphQL requests of one iteration, for counting statements in-process.
    requests: Callable[[], list[tuple[str, dict[str, Any]]]]
    # Measured on a server with the response cache on (the others run without it).
    response_cache: bool = False


@dataclass(frozen=True)
class Fixtures:
    """Ids and cursors picked from the loaded data set, so every run asks the same."""

    incident_ids: list[str]
    user_ids: list[str]
    team_id: str
    deep_cursor: str

    @classmethod
    async def pick(cls, conn: asyncpg.Connection, tenant_id: uuid.UUID) -> Fixtures:
        incidents = await conn.fetch(
            "SELECT id FROM incidents.incidents WHERE tenant_id = $1 ORDER BY number LIMIT 1000",
            tenant_id,
        )
        users = await conn.fetch(
            "SELECT id FROM identity.users WHERE tenant_id = $1 ORDER BY name LIMIT 50", tenant_id
        )
        team = await conn.fetchval(
            "SELECT id FROM identity.teams WHERE tenant_id = $1 ORDER BY name LIMIT 1", tenant_id
        )
        deep = await conn.fetchrow(
            "SELECT opened_at, id FROM incidents.incidents WHERE tenant_id = $1 AND status = "
            "'OPEN' ORDER BY opened_at DESC, id DESC OFFSET 4999 LIMIT 1",
            tenant_id,
        )
        if deep is None:  # small data sets: the deepest OPEN row there is
            deep = await conn.fetchrow(
                "SELECT opened_at, id FROM incidents.incidents WHERE tenant_id = $1 AND "
                "status = 'OPEN' ORDER BY opened_at, id LIMIT 1",
                tenant_id,
            )
        order = sort_order(
            IncidentOrder(field=IncidentSortField.OPENED_AT, direction=SortDirection.DESC)
        )
        return cls(
            incident_ids=[str(r["id"]) for r in incidents],
            user_ids=[str(r["id"]) for r in users],
            team_id=str(team),
            deep_cursor=encode_cursor(order, [deep["opened_at"], deep["id"]]),
        )


def build(fixtures: Fixtures) -> dict[str, Scenario]:
    """Every scenario by name, in the order the report shows them."""
    incident_ids = itertools.cycle(fixtures.incident_ids)
    user_ids = itertools.cycle(fixtures.user_ids)
    deep = {**PAGE_VARIABLES, "after": fixtures.deep_cursor}

    async def page(conn: Connection) -> None:
        await conn.graphql(PAGE, PAGE_VARIABLES)

    async def persisted_page(conn: Connection) -> None:
        try:
            await conn.graphql(None, PAGE_VARIABLES, PAGE_APQ)
        except HttpError as error:
            if error.status != 404:  # PERSISTED_QUERY_NOT_FOUND: send the text once, as APQ
                raise
            await conn.graphql(PAGE, PAGE_VARIABLES, PAGE_APQ)

    async def detail(conn: Connection) -> None:
        await conn.graphql(DETAIL, {"id": next(incident_ids)})

    def create_input() -> dict[str, Any]:
        return {
            "input": {
                "title": "Bench: link down",
                "impact": "HIGH",
                "urgency": "MEDIUM",
                "teamId": fixtures.team_id,
                "source": "MONITORING",
            }
        }

    async def write(conn: Connection) -> None:
        created = await conn.graphql(CREATE, create_input())
        await conn.graphql(ASSIGN, {"id": created["createIncident"]["id"], "user": next(user_ids)})

    async def deep_page(conn: Connection) -> None:
        await conn.graphql(PAGE, deep)

    return {
        "page": Scenario(
            "page",
            "1. incidents page (50, nested, crosses subgraphs)",
            page,
            lambda: [(PAGE, PAGE_VARIABLES)],
        ),
        "persisted": Scenario(
            "persisted",
            "2. the same page as a persisted query (APQ hash, no text)",
            persisted_page,
            lambda: [(PAGE, PAGE_VARIABLES)],
        ),
        "cached": Scenario(
            "cached",
            "2b. the same page again, from the response cache",
            page,
            lambda: [(PAGE, PAGE_VARIABLES)],
            response_cache=True,
        ),
        "detail": Scenario(
            "detail",
            "3. one incident, full detail",
            detail,
            lambda: [(DETAIL, {"id": fixtures.incident_ids[0]})],
        ),
        "write": Scenario(
            "write", "4. createIncident + assignIncident", write, lambda: [(CREATE, create_input())]
        ),
        "deep": Scenario(
            "deep", "5. page 5,000 rows deep (cursor)", deep_page, lambda: [(PAGE, deep)]
        ),
    }
