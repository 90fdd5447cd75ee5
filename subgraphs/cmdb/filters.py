"""The configuration item filter grammar turned into SQL (values bound, never spliced)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from db.scope import RequestDatabase
from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from resolvers.json_values import value_condition
from resolvers.value_tokens import NumberTokens, ValueTokens
from resolvers.work_filters import searched
from subgraphs.cmdb import rules, tables
from subgraphs.cmdb.inputs import CiAttributeCondition, CiFilter

Row = tables.ConfigurationItem
TOKENS = ValueTokens(tables.CiAttributeToken, Row)
NUMBERS = NumberTokens(tables.CiAttributeNumber, Row)
WORDS = ValueTokens(tables.CiSearchToken, Row)
CONDITIONS_MAX = 20


def classes_below(tenant_id: uuid.UUID, names: list[str]) -> Select[Any]:
    """Ids of the tenant's classes called `names` and of every class below them (a recursive
    CTE: one statement, whatever the depth)."""
    c = tables.CiClass
    start = (
        select(c.id)
        .where(c.tenant_id == tenant_id, c.name.in_(names))
        .cte("classes_below", recursive=True)
    )
    child = select(c.id).where(c.tenant_id == tenant_id, c.parent_id == start.c.id)
    tree = start.union(child)
    return select(tree.c.id)


def attribute_condition(condition: CiAttributeCondition, index: int) -> list[ColumnElement[bool]]:
    return value_condition(
        Row.attributes,
        condition,
        f"filter.attributes[{index}]",
        rules.NAME_OF_CLASS_OR_ATTRIBUTE_MAX,
        TOKENS,
        NUMBERS,
    )


async def list_filtered(
    db: RequestDatabase, query: Select[Any], tenant_id: uuid.UUID, f: CiFilter | None
) -> Select[Any]:
    """`filtered` for a list of CIs: its classes read first (one statement), so that the
    planner knows which they are, and how many CIs each has: a handful or most of them."""
    classes = None
    if f is not None and f.class_name is not None:
        classes = [row.id for row in await db.rows(classes_below(tenant_id, f.class_name))]
    return filtered(query, tenant_id, f, classes)


def filtered(
    query: Select[Any],
    tenant_id: uuid.UUID,
    f: CiFilter | None,
    classes: Sequence[uuid.UUID] | None = None,
) -> Select[Any]:
    """`query` (over configuration_items) narrowed by the client's filter; `classes` are
    the ids of the filter's classes and those below them when the caller has read them
    (else a subquery finds them)."""
    if f is None:
        return query
    if f.class_name is not None:
        below = classes_below(tenant_id, f.class_name) if classes is None else classes
        query = query.where(Row.class_id.in_(below))
    if f.status:
        query = query.where(Row.status.in_([s.value for s in f.status]))
    if f.environment:
        query = query.where(Row.environment.in_([e.value for e in f.environment]))
    if f.criticality:
        low, high = rules.CRITICALITY_MIN, rules.CRITICALITY_MAX
        if not all(low <= tier <= high for tier in f.criticality):
            # Checked, not just matched: a value beyond a smallint fails in PostgreSQL.
            raise BadUserInput(f"filter.criticality: tiers are {low} to {high}", argument="filter")
        query = query.where(Row.criticality.in_(f.criticality))
    if f.support_team_id is not None:
        team = parse_id(f.support_team_id, "filter.supportTeamId")
        query = query.where(Row.support_team_id == team)
    if f.owner_id is not None:
        query = query.where(Row.owner_id == parse_id(f.owner_id, "filter.ownerId"))
    if f.source is not None:
        query = query.where(Row.source == f.source)
    if f.search is not None and f.search.strip():
        query = searched(query, Row, f.search, "simple", WORDS)
    if f.attributes:
        if len(f.attributes) > CONDITIONS_MAX:
            raise BadUserInput(
                f"filter.attributes takes at most {CONDITIONS_MAX} conditions", argument="filter"
            )
        for index, condition in enumerate(f.attributes):
            query = query.where(*attribute_condition(condition, index))
    return query
