"""Impact analysis: the part of the dependency graph reachable from some CIs, read in one
statement, then the spread of their failure over it (redundancy.py). GraphQL-free: the
resolvers (graph_types.py) turn its answer into types.

The process keeps each tenant's graph in memory (topology.py, kept current by
topology_cache.py): an analysis reads what changed since, then spreads over the graph in
memory, the same rule over the same edges. The statement below answers when the request's
own transaction has changed the graph (uncommitted, it is not for the shared graph), or
when other requests kept moving the graph while this one read its changes.

Each relationship carries its orientation (`provider_id`, `dependent_id`; migration
cmdb_0002 sets them from the type's `dependent_side`), so a hop is one index-only scan
whatever the type: DOWNSTREAM walks from providers to dependents, UPSTREAM the other way.

The statement is a recursive CTE whose rows are CI ids joined with UNION: PostgreSQL drops a
row equal to any row found before, so each CI is expanded once and cycles end the recursion
(a path-based CYCLE clause would enumerate every path, exponential in a meshed graph). Its
result is the edges leaving every reached CI (one row per CI, its edges as arrays: a third
of the rows to decode), the redundant CIs among them with how many providers they have, the
retired ones (a retired CI neither fails nor spreads a failure) and the roots that exist.

The recursion has no depth bound: a row holding its depth would no longer equal the same
CI reached at another depth, and every cycle would be walked again up to the bound. The
spread applies the depth; the statement reads what the roots reach at any depth."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from db.scope import RequestDatabase
from subgraphs.cmdb import topology_cache
from subgraphs.cmdb.graph_enums import ImpactDirection as Direction
from subgraphs.cmdb.redundancy import Edge, Impact, Need, spread

MAX_DEPTH = 50


_STATEMENT = """
WITH RECURSIVE reached(id) AS (
    SELECT ci.id FROM cmdb.configuration_items ci
    WHERE ci.tenant_id = :tenant AND ci.id = ANY(:roots)
  UNION
    SELECT e.{target} FROM reached r
    JOIN cmdb.ci_relationships e ON e.tenant_id = :tenant AND e.{source} = r.id{types}
)
SELECT 'edges' AS kind, r.id AS ci_id, array_agg(e.{target}) AS targets,
       array_agg(e.id) AS edge_ids, array_agg(e.type_id) AS type_ids,
       NULL::integer AS required, NULL::bigint AS providers
FROM reached r
JOIN cmdb.ci_relationships e ON e.tenant_id = :tenant AND e.{source} = r.id{types}
GROUP BY r.id
UNION ALL
SELECT 'retired', ci.id, NULL, NULL, NULL, NULL, NULL FROM cmdb.configuration_items ci
WHERE ci.tenant_id = :tenant AND ci.status = 'RETIRED' AND ci.id IN (SELECT id FROM reached)
UNION ALL
SELECT 'root', ci.id, NULL, NULL, NULL, NULL, NULL FROM cmdb.configuration_items ci
WHERE ci.tenant_id = :tenant AND ci.id = ANY(:roots)
"""

# DOWNSTREAM with redundancy: each redundant CI reached, with its working providers.
_NEEDS = """
UNION ALL
SELECT 'need', ci.id, NULL, NULL, NULL, ci.redundancy_required, (
    SELECT count(DISTINCT p.provider_id) FROM cmdb.ci_relationships p
    WHERE p.tenant_id = :tenant AND p.dependent_id = ci.id{provider_types}
      AND NOT EXISTS (
        SELECT FROM cmdb.configuration_items pc
        WHERE pc.tenant_id = :tenant AND pc.status = 'RETIRED' AND pc.id = p.provider_id
      )
) FROM cmdb.configuration_items ci
WHERE ci.tenant_id = :tenant AND ci.redundancy_required IS NOT NULL
  AND ci.id IN (SELECT id FROM reached)
"""

_ENDS = {
    Direction.DOWNSTREAM: ("provider_id", "dependent_id"),
    Direction.UPSTREAM: ("dependent_id", "provider_id"),
}


def _statement(direction: Direction, typed: bool, redundancy: bool) -> TextClause:
    source, target = _ENDS[direction]
    sql = _STATEMENT.format(
        source=source, target=target, types=" AND e.type_id = ANY(:types)" if typed else ""
    )
    if redundancy:
        sql += _NEEDS.format(provider_types=" AND p.type_id = ANY(:types)" if typed else "")
    parameters = [bindparam("roots", type_=ARRAY(UUID(as_uuid=True)))]
    if typed:
        parameters.append(bindparam("types", type_=ARRAY(UUID(as_uuid=True))))
    return text(sql).bindparams(*parameters)


# Built once each (one prepared statement per variant).
_STATEMENTS = {
    (direction, typed, redundancy): _statement(direction, typed, redundancy)
    for direction in Direction
    for typed in (False, True)
    for redundancy in (False, True)
    if direction is Direction.DOWNSTREAM or not redundancy
}


async def analyse(
    db: RequestDatabase,
    roots: Sequence[uuid.UUID],
    direction: Direction,
    depth: int,
    type_ids: Sequence[uuid.UUID] | None = None,
    redundancy_aware: bool = True,
) -> Impact:
    """What the failure of `roots` reaches within `depth` edges of the given relationship
    types (None: all). Redundancy applies DOWNSTREAM only: UPSTREAM lists every candidate
    cause, redundant or not."""
    redundancy = redundancy_aware and direction is Direction.DOWNSTREAM
    graph = await topology_cache.current(db)
    if graph is not None:
        return graph.analyse(roots, direction, depth, type_ids, redundancy)
    return await by_statement(db, roots, direction, depth, type_ids, redundancy)


async def by_statement(
    db: RequestDatabase,
    roots: Sequence[uuid.UUID],
    direction: Direction,
    depth: int,
    type_ids: Sequence[uuid.UUID] | None,
    redundancy: bool,
) -> Impact:
    """The analysis by the statement: the part of the graph the roots reach, then the
    spread over it (the in-memory answer is tested against it)."""
    statement = _STATEMENTS[(direction, type_ids is not None, redundancy)]
    parameters: dict[str, object] = {"tenant": db.tenant_id, "roots": list(roots)}
    if type_ids is not None:
        parameters["types"] = list(type_ids)
    rows = await db.rows(statement, parameters)
    edges: list[Edge] = []
    needs: dict[uuid.UUID, Need] = {}
    retired: set[uuid.UUID] = set()
    found: set[uuid.UUID] = set()
    for row in rows:
        if row.kind == "edges":
            source = row.ci_id
            edges.extend(
                Edge(id, source, target, type_id)
                for target, id, type_id in zip(row.targets, row.edge_ids, row.type_ids, strict=True)
            )
        elif row.kind == "need":
            needs[row.ci_id] = Need(row.required, row.providers)
        elif row.kind == "retired":
            retired.add(row.ci_id)
        else:
            found.add(row.ci_id)
    live_roots = [root for root in dict.fromkeys(roots) if root in found]
    if retired:
        edges = [
            edge
            for edge in edges
            if (edge.source not in retired or edge.source in found) and edge.target not in retired
        ]
    return Impact(
        reached=spread(live_roots, edges, depth, needs if redundancy else None),
        missing=[root for root in roots if root not in found],
        read=lambda: edges,
    )
