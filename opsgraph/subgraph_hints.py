"""A stand-alone subgraph's answers without graphql-core's "Did you mean ...?" hints.

Strawberry validates documents and coerces variables with graphql-core's defaults, whose
messages suggest names from the schema ("Did you mean 'incidents'?", "Did you mean the enum
value 'OPEN'?"): schema discovery with introspection turned off. The router asks
graphql-core not to suggest (router/gateway.py); Strawberry offers no such switch, so in
production a subgraph served alone cuts the hints from its errors before they are sent."""

from __future__ import annotations

import dataclasses

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from opsgraph.settings import Settings
from router.limits import without_suggestions


def hides_suggestions(settings: Settings) -> bool:
    """Production hides the schema, as the router's limits do (opsgraph/server.py)."""
    return settings.env == "production"


def without_hints(result: ExecutionResult) -> ExecutionResult:
    """``result`` with every error message cut before its hint. The errors are copies:
    validation errors are cached and shared between requests (Strawberry's ValidationCache)."""
    if not result.errors:
        return result
    return dataclasses.replace(result, errors=[_without_hint(error) for error in result.errors])


def _without_hint(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        without_suggestions(error.message),
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )
