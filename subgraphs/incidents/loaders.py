"""Batched reads of the incident tables, always within the request's tenant."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, select, union

from resolvers.columns import Columns
from resolvers.loaders import (
    KEYS,
    TENANT,
    BatchLoader,
    ColumnLoader,
    FirstRowsByKeyLoader,
    LastRowsByKeyLoader,
    RowByKeyLoader,
    RowsByKeyLoader,
    in_keys,
    many_per_key,
    within_tenant,
)
from subgraphs.incidents import rules, tables
from subgraphs.incidents.enums import CommentVisibility


class IncidentByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.Incident


class IncidentByNumberLoader(RowByKeyLoader[int]):
    table = tables.Incident
    key = "number"


class CommentsByIncidentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Comments of each incident, oldest first."""

    table = tables.IncidentComment
    key = "incident_id"


class FirstCommentsByIncidentIdLoader(FirstRowsByKeyLoader[uuid.UUID]):
    """The oldest `n` comments of each incident, oldest first, for keys (incident id, n)."""

    table = tables.IncidentComment
    key = "incident_id"


class LastCommentsByIncidentIdLoader(LastRowsByKeyLoader[uuid.UUID]):
    """The newest `n` comments of each incident, oldest first, for keys (incident id, n)."""

    table = tables.IncidentComment
    key = "incident_id"


class PublicOnly:
    """Mixin of a comments loader for callers without incident:worknotes:view: no work notes."""

    @classmethod
    def scope(cls) -> tuple[ColumnElement[bool], ...]:
        return (tables.IncidentComment.visibility == CommentVisibility.PUBLIC.value,)


class PublicCommentsByIncidentIdLoader(PublicOnly, CommentsByIncidentIdLoader):
    """Public comments of each incident, oldest first."""


class FirstPublicCommentsByIncidentIdLoader(PublicOnly, FirstCommentsByIncidentIdLoader):
    """The oldest `n` public comments of each incident."""


class LastPublicCommentsByIncidentIdLoader(PublicOnly, LastCommentsByIncidentIdLoader):
    """The newest `n` public comments of each incident."""


class ChangesByIncidentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """History of each incident, oldest first."""

    table = tables.IncidentChange
    key = "incident_id"


class AffectedCisByIncidentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The further configuration items of each incident, by CI id."""

    table = tables.IncidentAffectedCi
    key = "incident_id"
    order = ("ci_id",)


LINKED_CI = "linked_ci"
"""The column of `ci_links` rows naming the configuration item they were found by."""


def ci_links() -> Subquery:
    """(incident_id, linked_ci) of every incident naming one of the batch's configuration
    items (the `keys` parameter), as its primary CI or as an affected one."""
    incident, affected = tables.Incident, tables.IncidentAffectedCi
    return union(
        select(incident.id.label("incident_id"), incident.ci_id.label(LINKED_CI)).where(
            within_tenant(incident.tenant_id), in_keys(incident.ci_id)
        ),
        select(affected.incident_id, affected.ci_id.label(LINKED_CI)).where(
            within_tenant(affected.tenant_id), in_keys(affected.ci_id)
        ),
    ).subquery("links")


def incidents_of_cis(columns: Sequence[Any]) -> Select[Any]:
    """`columns` of the incidents naming the batch's configuration items, with `LINKED_CI`
    (an incident naming two of them comes once for each)."""
    links = ci_links()
    row = tables.Incident
    return (
        select(links.c[LINKED_CI], *columns)
        .join_from(links, row, row.id == links.c.incident_id)
        .where(within_tenant(row.tenant_id))
    )


class OpenIncidentsByCiIdLoader(ColumnLoader[uuid.UUID, list[Any]]):
    """The open incidents (rules.OPEN) naming each configuration item, most urgent first,
    then oldest first."""

    table = tables.Incident

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return ("id",)

    @classmethod
    def build_statement(cls, columns: list[Any]) -> Select[Any]:
        row = tables.Incident
        return (
            incidents_of_cis(columns)
            .where(row.status.in_(sorted(status.value for status in rules.OPEN)))
            .order_by(row.priority.desc(), row.opened_at, row.id)
        )

    async def load_columns(self, keys: Sequence[uuid.UUID], columns: Columns) -> list[list[Any]]:
        rows = await self.context.db.rows(self.statement(columns), self.batch_parameters(keys))
        return many_per_key(rows, keys, operator.attrgetter(LINKED_CI))


class PerCiStatementLoader(BatchLoader[tuple[uuid.UUID, str], Any]):
    """Reads with a statement given per call (`load_with`), for keys (CI id, the statement's
    signature: equal for equal statements). The configuration items asked with one statement
    are read together (it takes the batch's `keys` and `tenant`), so the same field of many
    items costs one statement per distinct argument set, not one per item."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._statements: dict[str, Select[Any]] = {}

    def load_with(self, ci_id: uuid.UUID, signature: str, statement: Select[Any]) -> Awaitable[Any]:
        self._statements.setdefault(signature, statement)
        return self.load((ci_id, signature))  # type: ignore[no-any-return]

    async def batch_load_fn(self, keys: list[tuple[uuid.UUID, str]]) -> list[Any]:
        by_statement: dict[str, list[uuid.UUID]] = {}
        for ci_id, signature in keys:
            by_statement.setdefault(signature, []).append(ci_id)
        found: dict[tuple[uuid.UUID, str], Any] = {}
        for signature, cis in by_statement.items():
            parameters = {TENANT: self.context.tenant_id, KEYS: cis}
            rows = await self.context.db.rows(self._statements[signature], parameters)
            for ci_id, value in zip(cis, self.per_ci(rows, cis), strict=True):
                found[ci_id, signature] = value
        return [found[key] for key in keys]

    def per_ci(self, rows: Sequence[Any], cis: Sequence[uuid.UUID]) -> list[Any]:
        """The value of each CI, in order, from the statement's rows."""
        raise NotImplementedError


class IncidentPagesByCiIdLoader(PerCiStatementLoader):
    """A page of each configuration item's incidents (rows with `LINKED_CI`, in page order:
    resolvers.pagination.page_per_key)."""

    def per_ci(self, rows: Sequence[Any], cis: Sequence[uuid.UUID]) -> list[list[Any]]:
        return many_per_key(rows, cis, operator.attrgetter(LINKED_CI))


class IncidentCountsByCiIdLoader(PerCiStatementLoader):
    """How many incidents name each configuration item (rows (LINKED_CI, count))."""

    def per_ci(self, rows: Sequence[Any], cis: Sequence[uuid.UUID]) -> list[int]:
        counts = {row[0]: row[1] for row in rows}
        return [counts.get(ci_id, 0) for ci_id in cis]
