"""Listing work items (incidents, problems): the filter conditions and orderings every such
list shares, turned into SQL with the values bound, never spliced.

A work item's row has `status`, `priority` (a rank), `assignee_id`, `team_id`, `ci_id`,
`search` (a tsvector), `created_at` and `updated_at`; its affected configuration items are
rows of a link table (`tenant_id`, `ci_id` and the owner's id). Each domain keeps its own
GraphQL filter and order inputs (their types differ per domain) and passes them here, adding
the conditions only it has."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, union
from sqlalchemy.orm import aliased

from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from resolvers.pagination import SortOrder
from resolvers.priority import PRIORITY_RANK
from resolvers.value_tokens import ValueTokens

SEARCH_MAX = 200


def sort_order(order: Any, columns: Mapping[Any, tuple[Any, ...]]) -> SortOrder:
    """The order of a `{field, direction}` input (`direction` ASC or DESC), by the sort
    columns of its field (ending in a unique column, so that the order is stable)."""
    return SortOrder(
        name=f"{order.field.value}:{order.direction.value}",
        columns=columns[order.field],
        descending=order.direction.value == "DESC",
    )


def about_ci(row: Any, link: Any, owner: str, ci_id: uuid.UUID, *also: Any) -> ColumnElement[bool]:
    """The work item names `ci_id`: as its `ci_id`, in one of the columns `also`, or among its
    affected CIs (the rows of `link` whose column `owner` holds its id). Found by the ids of
    the items naming it, each way read by its own index (a union, not correlated with
    `row`, which the walls keep to the tenant): as `ci_id = $ci OR id IN (the affected ones,
    correlated)`, a page tested every item of the tenant in its order (178 ms at 100,000
    incidents for a CI none names)."""
    named = aliased(row)
    ways = [
        select(named.id).where(getattr(named, column.key) == ci_id) for column in (row.ci_id, *also)
    ]
    ways.append(select(getattr(link, owner)).where(link.ci_id == ci_id))
    return row.id.in_(union(*ways))  # type: ignore[no-any-return]


def searched(
    query: Select[Any], row: Any, text: str, config: str, words: ValueTokens
) -> Select[Any]:
    """`query` narrowed to rows whose `search` matches the web search `text` (in the text
    search `config`; BAD_USER_INPUT when longer than SEARCH_MAX): found first by its words'
    lexemes among the column's tokens `words` (db/value_tokens.py), which an index answers
    behind the tenant wall (`@@` cannot use the column's own there), `@@` deciding on those."""
    if len(text) > SEARCH_MAX:
        raise BadUserInput(
            f"filter.search must be at most {SEARCH_MAX} characters", argument="filter"
        )
    holding = words.holding_words(config, text)
    if holding is not None:
        query = query.where(holding)
    return query.where(row.search.op("@@")(func.websearch_to_tsquery(config, text)))


def assigned(query: Select[Any], row: Any, f: Any) -> Select[Any]:
    """`query` narrowed by the filter's `status`, `priority`, `assigneeId` and `teamId`."""
    if f.status:
        query = query.where(row.status.in_([s.value for s in f.status]))
    if f.priority:
        query = query.where(row.priority.in_([PRIORITY_RANK[p] for p in f.priority]))
    if f.assignee_id is not None:
        query = query.where(row.assignee_id == parse_id(f.assignee_id, "filter.assigneeId"))
    if f.team_id is not None:
        query = query.where(row.team_id == parse_id(f.team_id, "filter.teamId"))
    return query


def found_and_dated(query: Select[Any], row: Any, f: Any, words: ValueTokens) -> Select[Any]:
    """`query` narrowed by the filter's full-text `search` (BAD_USER_INPUT when longer than
    SEARCH_MAX; the rows found first by the `search` column's tokens, `words`)
    and its `createdAfter`/`createdBefore`/`updatedAfter`/`updatedBefore`."""
    if f.search is not None and f.search.strip():
        query = searched(query, row, f.search, "english", words)
    if f.created_after is not None:
        query = query.where(row.created_at >= f.created_after)
    if f.created_before is not None:
        query = query.where(row.created_at < f.created_before)
    if f.updated_after is not None:
        query = query.where(row.updated_at >= f.updated_after)
    if f.updated_before is not None:
        query = query.where(row.updated_at < f.updated_before)
    return query
