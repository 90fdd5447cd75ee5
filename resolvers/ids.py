"""Parsing client-supplied ids (UUIDs) with a clear error instead of a database exception."""

from __future__ import annotations

import uuid

from resolvers.errors import BadUserInput


def parse_id(value: object, argument: str = "id") -> uuid.UUID:
    """The UUID in `value`, or BAD_USER_INPUT naming the argument."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadUserInput(f"{argument} {value!r} is not a valid id", argument=argument) from None


def try_parse_id(value: object) -> uuid.UUID | None:
    """The UUID in `value`, or None: for lookups where a malformed id simply finds nothing."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
