"""Arguments of partial updates: a field the client left out (`strawberry.UNSET`) becomes
the services' UNCHANGED marker, null stays None (clear), an id is parsed (BAD_USER_INPUT
naming the argument when it is no id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import strawberry

from resolvers.changes import UNCHANGED
from resolvers.ids import parse_id


def given(value: Any) -> Any:
    """UNCHANGED when the client left the field out, else its value."""
    return UNCHANGED if value is strawberry.UNSET else value


def given_id(value: Any, argument: str) -> Any:
    """UNCHANGED, None (clear) or the parsed id."""
    value = given(value)
    return value if value is None or value is UNCHANGED else parse_id(value, argument)


def parse_ids(values: Sequence[Any], argument: str) -> tuple[uuid.UUID, ...]:
    """Client-given ids (BAD_USER_INPUT naming the one that is no id: `argument[index]`)."""
    return tuple(parse_id(id, f"{argument}[{index}]") for index, id in enumerate(values))
