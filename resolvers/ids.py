"""Parsing client-supplied ids (UUIDs) with a clear error instead of a database exception."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from asyncpg.pgproto.pgproto import UUID as FastUUID

from resolvers.errors import BadUserInput


def parse_id(value: object, argument: str = "id") -> uuid.UUID:
    """The UUID in `value`, or BAD_USER_INPUT naming the argument."""
    parsed = try_parse_id(value)
    if parsed is None:
        raise BadUserInput(f"{argument} {value!r} is not a valid id", argument=argument)
    return parsed


def try_parse_id(value: object) -> uuid.UUID | None:
    """The UUID in `value`, or None: for lookups where a malformed id simply finds nothing.

    asyncpg's UUID (a `uuid.UUID`, equal and hashing alike) parses the canonical forms five
    times faster and hashes in C, and ids are parsed and hashed for every entity a request
    loads; the standard class still takes the rarer spellings it accepts (braces, URNs)."""
    text = str(value)
    try:
        return FastUUID(text)
    except ValueError:
        pass
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def try_parse_ids(values: Sequence[object]) -> list[uuid.UUID | None]:
    """``try_parse_id`` of each value: strings in the canonical forms (an entity fetch's
    thousands of ids, as a rule) parsed in one pass in C."""
    if all(type(value) is str for value in values):
        try:
            return list(map(FastUUID, values))
        except ValueError:  # one is not canonical, or not an id: each on its own
            pass
    return [try_parse_id(value) for value in values]
