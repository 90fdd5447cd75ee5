"""A stand-alone subgraph's answers without graphql-core's "Did you mean ...?" hints.

Strawberry validates documents and coerces variables with graphql-core's defaults, whose
messages suggest names from the schema ("Did you mean 'incidents'?", "Did you mean the enum
value 'OPEN'?"): schema discovery with introspection turned off. The router asks
graphql-core not to suggest (router/gateway.py); Strawberry offers no such switch, so in
production a subgraph served alone cuts the hints from its errors before they are sent."""

from __future__ import annotations

from strawberry.types import ExecutionResult

from opsgraph.settings import Settings
from router.limits import without_suggestions


def hides_suggestions(settings: Settings) -> bool:
    """Production hides the schema, as the router's limits do (opsgraph/server.py)."""
    return settings.env == "production"


def without_hints(result: ExecutionResult) -> ExecutionResult:
    """``result`` with every error message cut before its hint."""
    for error in result.errors or ():
        error.message = without_suggestions(error.message)
    return result
