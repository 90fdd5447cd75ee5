"""The configuration item filter grammar turned into SQL (values bound, never spliced)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from resolvers.json_values import json_value, value_condition
from subgraphs.cmdb import rules, tables
from subgraphs.cmdb.inputs import CiAttributeCondition, CiFilter

Row = tables.ConfigurationItem
Token = tables.CiAttributeToken
SCALARS = (str, int, float)  # the values a token holds (a bool is an int)
SEARCH_MAX = 200
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


def attribute_condition(
    tenant_id: uuid.UUID, condition: CiAttributeCondition, index: int
) -> list[ColumnElement[bool]]:
    """The condition's SQL: containment and ranges on `attributes`; for an `eq` or `in` on
    scalars, first the CIs holding one of those values by their attribute tokens (migration
    cmdb_0007: behind the tenant wall, containment cannot use its index, text equality can),
    so the containment is tested on those few only, and still decides."""
    where = value_condition(
        Row.attributes,
        condition,
        f"filter.attributes[{index}]",
        rules.NAME_OF_CLASS_OR_ATTRIBUTE_MAX,
    )
    values = [condition.eq] if condition.eq is not None else condition.in_
    if values and all(isinstance(value, SCALARS) for value in values):
        tokens = [func.cmdb.attribute_token(condition.name, json_value(v)) for v in values]
        holding = select(Token.ci_id).where(Token.tenant_id == tenant_id, Token.token.in_(tokens))
        where.insert(0, Row.id.in_(holding))
    return where


def filtered(query: Select[Any], tenant_id: uuid.UUID, f: CiFilter | None) -> Select[Any]:
    """`query` (over configuration_items) narrowed by the client's filter."""
    if f is None:
        return query
    if f.class_name is not None:
        query = query.where(Row.class_id.in_(classes_below(tenant_id, f.class_name)))
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
        if len(f.search) > SEARCH_MAX:
            raise BadUserInput(
                f"filter.search must be at most {SEARCH_MAX} characters", argument="filter"
            )
        query = query.where(Row.search.op("@@")(func.websearch_to_tsquery("simple", f.search)))
    if f.attributes:
        if len(f.attributes) > CONDITIONS_MAX:
            raise BadUserInput(
                f"filter.attributes takes at most {CONDITIONS_MAX} conditions", argument="filter"
            )
        for index, condition in enumerate(f.attributes):
            query = query.where(*attribute_condition(tenant_id, condition, index))
    return query
