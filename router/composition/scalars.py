"""Custom scalars the router checks itself: those whose SDL names a specification it knows.

In SDL a custom scalar is only a name, so the composed schema accepts any value for it: a
``createdAfter: "yesterday"`` would pass the router's validation and be refused by a subgraph
(HTTP 200, the subgraph's name in the error) or reach its database. A subgraph that declares
``scalar DateTime @specifiedBy(url: "...rfc3339")`` tells the router what the values must be;
for the specifications in :data:`SPECIFICATIONS` the router checks literals (validation,
GRAPHQL_VALIDATION_FAILED) and variable values (coercion, BAD_USER_INPUT) before any fetch.
Scalars without a known specification stay permissive. A checked value is handed on as the
client sent it, and output is never touched: the subgraph owns the value's meaning.

The subgraphs' own DateTime (``resolvers/scalars.py``) applies the same rule; the router may
not import it, so one list of cases in the tests holds both to it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC
from typing import Any

import ciso8601
from graphql import (
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    StringValueNode,
    ValueNode,
)

Check = Callable[[str], None]


def check_date_time(value: str) -> None:
    """An RFC 3339 date-time (section 5.6, offset required) that falls within years 1 to 9999
    once converted to UTC: what Python's datetime and PostgreSQL's timestamptz both hold."""
    try:
        parsed = ciso8601.parse_rfc3339(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time: {error}") from None
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value!r} is out of range: a date-time must fall within years 1 to 9999 in UTC"
        ) from None


def check_uuid(value: str) -> None:
    """A UUID in its RFC 9562 (formerly 4122) text form: 8-4-4-4-12 hexadecimal digits."""
    try:
        valid = str(uuid.UUID(value)) == value.lower()
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"{value!r} is not a UUID (8-4-4-4-12 hexadecimal digits)")


# specifiedBy URL (without its #fragment) -> the check of a value's text
SPECIFICATIONS: dict[str, Check] = {
    "https://scalars.graphql.org/andimarek/date-time": check_date_time,
    "https://tools.ietf.org/html/rfc3339": check_date_time,
    "https://datatracker.ietf.org/doc/html/rfc3339": check_date_time,
    "https://www.rfc-editor.org/rfc/rfc3339": check_date_time,
    "https://tools.ietf.org/html/rfc4122": check_uuid,
    "https://datatracker.ietf.org/doc/html/rfc4122": check_uuid,
    "https://www.rfc-editor.org/rfc/rfc4122": check_uuid,
    "https://datatracker.ietf.org/doc/html/rfc9562": check_uuid,
    "https://www.rfc-editor.org/rfc/rfc9562": check_uuid,
}


def specification_check(specified_by_url: str | None) -> Check | None:
    """The check for a specifiedBy URL, if the router knows that specification."""
    if not specified_by_url:
        return None
    return SPECIFICATIONS.get(specified_by_url.split("#", 1)[0].rstrip("/"))


def check_specified_scalars(schema: GraphQLSchema) -> None:
    """Give every scalar of ``schema`` with a known specification its input checks."""
    for named in schema.type_map.values():
        if isinstance(named, GraphQLScalarType):
            check = specification_check(named.specified_by_url)
            if check is not None:
                _checked(named, check)


def _checked(scalar: GraphQLScalarType, check: Check) -> None:
    """Checks raise GraphQLError: graphql-core then reports the reason as it is (located at
    the literal; after "Variable '$x' has invalid value:" for a variable)."""

    def checked(raw: Any, node: ValueNode | None) -> str:
        try:
            if not isinstance(raw, str):
                raise ValueError(f"{scalar.name} is written as a string")
            check(raw)
        except ValueError as error:
            raise GraphQLError(str(error), node) from None
        return raw

    def coerce_value(value: Any) -> str:
        return checked(value, None)

    def coerce_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> str:
        return checked(node.value if isinstance(node, StringValueNode) else None, node)

    # graphql-core 3.3 reads the coerce_* names; parse_* are their older aliases.
    scalar.coerce_input_value = scalar.parse_value = coerce_value  # type: ignore[method-assign]
    scalar.coerce_input_literal = coerce_literal
    scalar.parse_literal = coerce_literal  # type: ignore[method-assign]
