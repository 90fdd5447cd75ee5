"""A stand-alone subgraph in production cuts the hints from copies of its errors."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from opsgraph.settings import Settings
from opsgraph.subgraph_hints import hides_suggestions, without_hints


def test_hints_are_cut_from_copies() -> None:
    cached = GraphQLError(
        "Cannot query field 'incidnts' on type 'Query'. Did you mean 'incidents'?",
        extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
    )
    result = without_hints(ExecutionResult(data=None, errors=[cached]))
    assert [e.formatted for e in result.errors or ()] == [
        {
            "message": "Cannot query field 'incidnts' on type 'Query'.",
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert cached.message.endswith("Did you mean 'incidents'?")  # shared with other requests


def test_only_production_hides_them() -> None:
    assert hides_suggestions(Settings(env="production"))
    assert not hides_suggestions(Settings(env="development"))
    assert not hides_suggestions(Settings(env="test"))
