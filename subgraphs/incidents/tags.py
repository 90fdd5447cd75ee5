"""Incident tags: free labels, normalised so that one label is written one way.

A tag is trimmed, its inner runs of whitespace become one space, and it is lower-cased
("  Payroll   DB " → "payroll db"); it is 1-50 characters after that. An incident has at
most 20 distinct tags, stored sorted (a set: duplicates after normalising are one tag).
Filters normalise their tags the same way, so `Payroll DB` finds `payroll db`. No Strawberry
here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from resolvers.errors import BadUserInput
from resolvers.value_tokens import ValueTokens

TAG_MAX = 50
TAGS_MAX = 20


def normalise(tag: str) -> str:
    return " ".join(tag.split()).lower()


def tag_set(tags: Iterable[str], argument: str) -> list[str]:
    """The distinct normalised tags, sorted; BAD_USER_INPUT naming the argument (and the tag's
    position) for an empty or over-long tag, or more than TAGS_MAX distinct tags."""
    found: set[str] = set()
    for index, tag in enumerate(tags):
        value = normalise(tag)
        if not 1 <= len(value) <= TAG_MAX:
            raise BadUserInput(
                f"{argument}[{index}]: a tag is 1-{TAG_MAX} characters (after trimming)",
                field=argument,
            )
        found.add(value)
    if len(found) > TAGS_MAX:
        raise BadUserInput(f"{argument}: at most {TAGS_MAX} distinct tags", field=argument)
    return sorted(found)


def _array(tags: Sequence[str]) -> Any:
    return cast(tags, ARRAY(String(TAG_MAX)))


def with_tags(
    query: Select[Any],
    column: Any,
    any_of: Sequence[str] | None,
    all_of: Sequence[str] | None,
    argument: str,
    tokens: ValueTokens,
) -> Select[Any]:
    """`query` narrowed to rows whose `column` (a varchar[]) has any of `any_of` (`&&`) and
    all of `all_of` (`@>`), the rows found first by the column's `tokens`
    (db/value_tokens.py: behind the tenant wall a GIN index cannot answer `&&` nor `@>`) and
    the operators deciding on those few. An empty `any` matches nothing; an empty `all`
    everything."""
    if any_of is not None:
        wanted = tag_set(any_of, f"{argument}.any")
        if wanted:
            query = query.where(tokens.holding_any(wanted))
        query = query.where(column.overlap(_array(wanted)))
    if all_of is not None:
        wanted = tag_set(all_of, f"{argument}.all")
        query = query.where(*(tokens.holding_any([tag]) for tag in wanted))
        query = query.where(column.contains(_array(wanted)))
    return query
