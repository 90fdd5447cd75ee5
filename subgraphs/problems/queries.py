"""Query root of the problems subgraph."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, Select

from resolvers import work_filters
from resolvers.batching import read_by_id
from resolvers.ids import parse_id
from resolvers.node import node_fields
from resolvers.pagination import Connection, Pagination, SortOrder, paginate, tenant_rows
from resolvers.permissions import requires
from resolvers.value_tokens import ValueTokens
from subgraphs.problems import enums, permissions, rules, tables
from subgraphs.problems.candidates import ProblemCandidate, problem_candidates
from subgraphs.problems.inputs import ProblemFilter, ProblemOrder
from subgraphs.problems.loaders import ProblemByNumberLoader
from subgraphs.problems.types import Problem

Row = tables.Problem
WORDS = ValueTokens(tables.ProblemSearchToken, Row)  # its search's lexemes
SORT_COLUMNS: dict[enums.ProblemSortField, tuple[Any, ...]] = {
    enums.ProblemSortField.OPENED_AT: (Row.opened_at, Row.id),
    enums.ProblemSortField.UPDATED_AT: (Row.updated_at, Row.id),
    enums.ProblemSortField.PRIORITY: (Row.priority, Row.opened_at, Row.id),
}


def sort_order(order: ProblemOrder | None) -> SortOrder:
    return work_filters.sort_order(order or ProblemOrder(), SORT_COLUMNS)


def filtered(query: Select[Any], f: ProblemFilter | None) -> Select[Any]:
    """`query` narrowed by the client's filter (values validated, never spliced into SQL)."""
    if f is None:
        return query
    query = work_filters.assigned(query, Row, f)
    if f.ci_id is not None:
        query = query.where(about_ci(parse_id(f.ci_id, "filter.ciId")))
    if f.category is not None:
        query = query.where(Row.category == f.category.strip())
    if f.known_error is not None:
        query = query.where(Row.known_error.is_(f.known_error))
    return work_filters.found_and_dated(query, Row, f, WORDS)


def about_ci(ci_id: uuid.UUID) -> ColumnElement[bool]:
    """The problem names `ci_id`: as its CI, its root cause's CI or an affected one."""
    return work_filters.about_ci(
        Row, tables.ProblemAffectedCi, "problem_id", ci_id, Row.root_cause_ci_id
    )


async def _page(
    info: strawberry.Info,
    filter: ProblemFilter | None,
    pagination: Pagination | None,
    order_by: ProblemOrder | None,
    *where: ColumnElement[bool],
) -> Connection[Problem]:
    ctx = info.context
    order = sort_order(order_by)
    # The columns the nodes' selection needs, and the sort keys (for the cursors).
    columns = Problem.row_fields.columns(
        info, ("edges", "node"), also=[column.key for column in order.columns]
    )
    query = tenant_rows(Row, columns).where(*where)
    return await paginate(ctx.db, filtered(query, filter), order, pagination, Problem.row_fields)


@strawberry.type
class Query:
    node, nodes = node_fields(Problem)

    @strawberry.field(
        description="Problems of the tenant, newest first unless ordered otherwise.",
        extensions=requires(permissions.VIEW),
    )
    async def problems(
        self,
        info: strawberry.Info,
        filter: ProblemFilter | None = None,
        pagination: Pagination | None = None,
        order_by: ProblemOrder | None = None,
    ) -> Connection[Problem]:
        return await _page(info, filter, pagination, order_by)

    @strawberry.field(
        description="Known errors (problems recorded with markKnownError) with their symptoms "
        "and workarounds, newest first unless ordered otherwise: where a service desk looks "
        "first.",
        extensions=requires(permissions.VIEW),
    )
    async def known_errors(
        self,
        info: strawberry.Info,
        filter: ProblemFilter | None = None,
        pagination: Pagination | None = None,
        order_by: ProblemOrder | None = None,
    ) -> Connection[Problem]:
        return await _page(info, filter, pagination, order_by, Row.known_error.is_(True))

    @strawberry.field(
        description="A problem by id; null when there is none.",
        extensions=requires(permissions.VIEW),
        metadata=read_by_id(),
    )
    async def problem(self, info: strawberry.Info, id: strawberry.ID) -> Problem | None:
        return await Problem.resolve_reference(info, id)

    @strawberry.field(
        description="A problem by its human number (PRB-17 or 17).",
        extensions=requires(permissions.VIEW),
    )
    async def problem_by_number(self, info: strawberry.Info, number: str) -> Problem | None:
        value = rules.parse_number(number)
        if not value:
            return None
        loader = info.context.loaders.get(ProblemByNumberLoader)
        row = await loader.load(value, Problem.row_fields.columns(info))
        return Problem.from_row(row) if row else None

    problem_candidates: list[ProblemCandidate] = strawberry.field(
        resolver=problem_candidates,
        description="Clusters of recent incidents not linked to a problem yet that share a "
        "configuration item, a category or similar titles: the recurring incidents a problem "
        "manager should look at, largest cluster first.",
        extensions=requires(permissions.VIEW),
    )
