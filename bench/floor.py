"""The Python floor: scenario 1 (the incidents page) answered with hand-written SQL on
asyncpg and orjson, returning the same JSON as OpsGraph — the fastest a Python process can
reasonably serve that data. The gap between it and OpsGraph is what the GraphQL stack costs.

Run alone: `python -m bench.floor --port N` with BENCH_DATABASE_URL and BENCH_TENANT_ID."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.pagination import SortOrder, encode_cursor
from subgraphs.incidents.enums import IncidentSortField
from subgraphs.incidents.queries import SORT_COLUMNS

PRIORITY = {1: "LOW", 2: "MEDIUM", 3: "HIGH", 4: "CRITICAL"}
ORDER = SortOrder("OPENED_AT:DESC", SORT_COLUMNS[IncidentSortField.OPENED_AT], descending=True)

INCIDENTS_SQL = """
SELECT id, number, title, status, priority, opened_at, assignee_id, team_id, reporter_id
FROM incidents.incidents
WHERE tenant_id = $1 AND status = ANY($2::text[])
ORDER BY opened_at DESC, id DESC
LIMIT $3"""
COMMENTS_SQL = """
SELECT incident_id, body, created_at, author_id FROM (
  SELECT incident_id, body, created_at, author_id, id,
         row_number() OVER (PARTITION BY incident_id ORDER BY created_at DESC, id DESC) AS n
  FROM incidents.incident_comments
  WHERE tenant_id = $1 AND incident_id = ANY($2::uuid[])
) recent WHERE n <= 3 ORDER BY incident_id, created_at, id"""
USERS_SQL = "SELECT id, name, email FROM identity.users WHERE tenant_id = $1 AND id = ANY($2)"
TEAMS_SQL = "SELECT id, name FROM identity.teams WHERE tenant_id = $1 AND id = ANY($2)"

Fetch = Callable[..., Awaitable[Sequence[Any]]]


async def incident_page(fetch: Fetch, tenant: uuid.UUID, variables: dict[str, Any]) -> bytes:
    """The response body of scenario 1: four statements, one per kind of row."""
    first = int(variables.get("first", 50))
    rows = await fetch(INCIDENTS_SQL, tenant, variables.get("status") or ["OPEN"], first + 1)
    has_next, rows = len(rows) > first, rows[:first]
    ids = [r["id"] for r in rows]
    comments: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    for c in await fetch(COMMENTS_SQL, tenant, ids):
        comments[c["incident_id"]].append(c)
    user_ids = {r["assignee_id"] for r in rows} | {r["reporter_id"] for r in rows}
    user_ids |= {c["author_id"] for cs in comments.values() for c in cs}
    users = {u["id"]: u for u in await fetch(USERS_SQL, tenant, list(user_ids - {None}))}
    teams = {t["id"]: t for t in await fetch(TEAMS_SQL, tenant, [r["team_id"] for r in rows])}

    def person(id: uuid.UUID | None, *fields: str) -> dict[str, Any] | None:
        user = users.get(id) if id else None
        return {f: user[f] for f in fields} if user else None

    edges = [
        {
            "node": {
                "id": str(r["id"]),
                "number": f"INC-{r['number']}",
                "title": r["title"],
                "status": r["status"],
                "priority": PRIORITY[r["priority"]],
                "openedAt": r["opened_at"].isoformat(),
                "assignee": person(r["assignee_id"], "name", "email"),
                "team": {"name": teams[r["team_id"]]["name"]} if r["team_id"] in teams else None,
                "reporter": person(r["reporter_id"], "name"),
                "comments": [
                    {
                        "body": c["body"],
                        "createdAt": c["created_at"].isoformat(),
                        "author": person(c["author_id"], "name"),
                    }
                    for c in comments[r["id"]]
                ],
            }
        }
        for r in rows
    ]
    end = encode_cursor(ORDER, [rows[-1]["opened_at"], rows[-1]["id"]]) if rows else None
    return orjson.dumps(
        {
            "data": {
                "incidents": {
                    "edges": edges,
                    "pageInfo": {"hasNextPage": has_next, "endCursor": end},
                }
            }
        }
    )


def create_app(database_url: str, tenant: uuid.UUID) -> Starlette:
    pool: asyncpg.Pool | None = None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(database_url, min_size=2, max_size=10)
        # As a long-running Python server does (OpsGraph: opsgraph/gc_tuning.py), the heap
        # its imports made is frozen out of every collection: without it, the floor's full
        # collections came about once a second under load and paused it ~50 ms each.
        gc.collect()
        gc.freeze()
        yield
        await pool.close()

    async def graphql(request: Request) -> Response:
        assert pool is not None
        variables = orjson.loads(await request.body()).get("variables") or {}
        async with pool.acquire() as conn:
            body = await incident_page(conn.fetch, tenant, variables)
        return Response(body, media_type="application/json")

    async def ready(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/ready", ready)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(os.environ["BENCH_DATABASE_URL"], uuid.UUID(os.environ["BENCH_TENANT_ID"]))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
