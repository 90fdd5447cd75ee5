"""Building a subgraph's Federation 2 schema with the extensions every subgraph uses."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from resolvers.compiled import CompiledQueries
from resolvers.errors import ErrorCodes
from resolvers.text import RejectNulCharacters


class SubgraphSchema(strawberry.federation.Schema):
    """A Federation 2 schema that leaves error logging to ErrorCodes, with a compiled
    execution path for in-process queries.

    Strawberry logs every error at ERROR level, client mistakes included; ErrorCodes logs
    the unexpected ones (with traceback and request id) and nothing else."""

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None

    @functools.cached_property
    def compiled(self) -> CompiledQueries:
        """The compiled path for queries run in-process; it does what this schema's
        extensions do (error codes and masking, NUL rejection, parse/validation caching)."""
        return CompiledQueries(self._schema)


def subgraph_schema(
    *,
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
) -> SubgraphSchema:
    """A Federation 2 schema with error codes/masking and parse/validation caches."""
    extensions: list[Any] = [
        ErrorCodes,
        RejectNulCharacters,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=extensions,
    )
