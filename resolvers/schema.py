"""Building a subgraph's Federation 2 schema with the extensions every subgraph uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from resolvers.errors import ErrorCodes


def subgraph_schema(
    *,
    query: type,
    mutation: type | None = None,
    types: Iterable[type] = (),
) -> strawberry.federation.Schema:
    """A Federation 2 schema with error codes/masking and parse/validation caches."""
    extensions: list[Any] = [
        ErrorCodes,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    return strawberry.federation.Schema(
        query=query, mutation=mutation, types=list(types), extensions=extensions
    )
