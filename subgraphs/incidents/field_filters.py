"""The incident filter's conditions on tags and custom field values (issue 19), kept apart
from queries.py: `incidents`, `incidentCounts` and the subscriptions share them through
`queries.filtered`."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import Select

from resolvers.value_tokens import ValueTokens
from subgraphs.incidents import tables, tags
from subgraphs.incidents.custom_fields.filters import with_values
from subgraphs.incidents.custom_fields.inputs import IncidentFieldCondition

Row = tables.Incident
TAG_TOKENS = ValueTokens(tables.IncidentTagToken, Row)


@strawberry.input(
    description="Which tags incidents must have (tags are normalised as on write: trimmed, "
    "lower-case); both parts may be given."
)
class TagFilter:
    any: list[str] | None = strawberry.field(
        default=None, description="At least one of these (an empty list matches nothing)."
    )
    all: list[str] | None = strawberry.field(default=None, description="Every one of these.")


def narrowed(
    query: Select[Any],
    tag_filter: TagFilter | None,
    conditions: list[IncidentFieldCondition] | None,
) -> Select[Any]:
    if tag_filter is not None:
        query = tags.with_tags(
            query, Row.tags, tag_filter.any, tag_filter.all, "filter.tags", TAG_TOKENS
        )
    if conditions:
        query = with_values(query, Row.custom_fields, conditions)
    return query
