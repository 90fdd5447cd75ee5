"""Batched reads of the problem tables, always within the request's tenant."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, select

from resolvers.columns import Columns
from resolvers.keyed_statements import StatementPerKeyLoader
from resolvers.loaders import (
    ColumnLoader,
    RowByKeyLoader,
    RowsByKeyLoader,
    in_keys,
    many_per_key,
    one_per_key,
    within_tenant,
)
from subgraphs.problems import tables


class ProblemByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.Problem


class ProblemByNumberLoader(RowByKeyLoader[int]):
    table = tables.Problem
    key = "number"


class CommentsByProblemIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Comments of each problem, oldest first."""

    table = tables.ProblemComment
    key = "problem_id"


class ChangesByProblemIdLoader(RowsByKeyLoader[uuid.UUID]):
    """History of each problem, oldest first."""

    table = tables.ProblemChange
    key = "problem_id"


class AffectedCisByProblemIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The further configuration items of each problem, by CI id."""

    table = tables.ProblemAffectedCi
    key = "problem_id"
    order = ("ci_id",)


LINKED_INCIDENT = "linked_incident"
"""The column of `ProblemByIncidentIdLoader`'s rows naming the incident they were found by."""


class ProblemByIncidentIdLoader(ColumnLoader[uuid.UUID, Any]):
    """The problem each incident is linked to (None: none)."""

    table = tables.Problem

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return ("id",)

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        problem, link = tables.Problem, tables.ProblemIncident
        return (
            select(link.incident_id.label(LINKED_INCIDENT), *columns)
            .join_from(link, problem, problem.id == link.problem_id)
            .where(
                within_tenant(link.tenant_id),
                within_tenant(problem.tenant_id),
                in_keys(link.incident_id),
            )
        )

    async def load_columns(self, keys: Sequence[uuid.UUID], columns: Columns) -> list[Any]:
        rows = await self.context.db.rows(self.statement(columns), self.batch_parameters(keys))
        return one_per_key(rows, keys, operator.attrgetter(LINKED_INCIDENT))


def linked_incidents(*columns: Any) -> Select[Any]:
    """The links of the batch's problems (their `problem_id` first, then `columns`), with
    what the read model knows of each incident (an incident it has not heard of yet has no
    facts: its fact columns are null)."""
    link, fact = tables.ProblemIncident, tables.IncidentFact
    return (
        select(link.problem_id, *columns)
        .select_from(link)
        .outerjoin(
            fact, and_(fact.tenant_id == link.tenant_id, fact.incident_id == link.incident_id)
        )
        .where(within_tenant(link.tenant_id), in_keys(link.problem_id))
    )


class IncidentPagesByProblemIdLoader(StatementPerKeyLoader):
    """A page of each problem's linked incidents (rows with `problem_id`, in page order:
    resolvers.pagination.page_per_key)."""

    def per_key(self, rows: Sequence[Any], keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        return many_per_key(rows, keys, operator.attrgetter("problem_id"))


class IncidentCountsByProblemIdLoader(StatementPerKeyLoader):
    """How many linked incidents match, per problem (rows (problem_id, count))."""

    def per_key(self, rows: Sequence[Any], keys: Sequence[uuid.UUID]) -> list[int]:
        counts = {row[0]: row[1] for row in rows}
        return [counts.get(key, 0) for key in keys]
