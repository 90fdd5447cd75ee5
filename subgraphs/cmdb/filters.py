"""The configuration item filter grammar turned into SQL (values bound, never spliced)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from subgraphs.cmdb import rules, tables
from subgraphs.cmdb.inputs import CiAttributeCondition, CiFilter

Row = tables.ConfigurationItem
SEARCH_MAX = 200
CONDITIONS_MAX = 20
IN_MAX = 100


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


def _json(value: Any) -> ColumnElement[Any]:
    return cast(literal(value, JSONB), JSONB)


def attribute_condition(condition: CiAttributeCondition, index: int) -> list[ColumnElement[bool]]:
    name = condition.name
    argument = f"filter.attributes[{index}]"
    if not name or len(name) > rules.NAME_OF_CLASS_OR_ATTRIBUTE_MAX:
        raise BadUserInput(
            f"{argument}.name must be 1-{rules.NAME_OF_CLASS_OR_ATTRIBUTE_MAX} characters",
            argument="filter",
        )
    value = Row.attributes[name]
    where: list[ColumnElement[bool]] = []
    if condition.eq is not None:
        where.append(Row.attributes.contains({name: condition.eq}))
    if condition.in_ is not None:
        if len(condition.in_) > IN_MAX:
            raise BadUserInput(f"{argument}.in takes at most {IN_MAX} values", argument="filter")
        where.append(or_(*(Row.attributes.contains({name: v}) for v in condition.in_)))
    for bound, compare in (
        (condition.gt, value.__gt__),
        (condition.gte, value.__ge__),
        (condition.lt, value.__lt__),
        (condition.lte, value.__le__),
    ):
        if bound is None:
            continue
        if isinstance(bound, (dict, list, bool)):
            raise BadUserInput(f"{argument}: ranges compare numbers or strings", argument="filter")
        # jsonb orders values of different types by type: compare like with like only.
        where.append(
            and_(func.jsonb_typeof(value) == func.jsonb_typeof(_json(bound)), compare(_json(bound)))
        )
    if condition.exists is not None:
        has = Row.attributes.has_key(name)
        where.append(has if condition.exists else ~has)
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
            query = query.where(*attribute_condition(condition, index))
    return query
