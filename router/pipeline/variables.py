"""Stage 4: the request's variables — an object, within the nesting and size limits (checked
before anything reads them), coerced to the selected operation's variable types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode
from graphql.execution.values import get_variable_values

from router.limits import OperationLimits, check_variables
from router.pipeline.errors import RequestError


def check_variable_limits(variables: Mapping[str, Any] | None, limits: OperationLimits) -> None:
    """RequestError when ``variables`` is not an object or exceeds the limits."""
    if variables is not None and not isinstance(variables, Mapping):
        raise RequestError.single("BAD_REQUEST", "Variables must be an object")
    too_large = check_variables(variables or {}, limits)
    if too_large:
        raise RequestError.from_graphql((too_large[0].extensions or {})["code"], too_large)


def coerced_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    limits: OperationLimits,
) -> dict[str, Any]:
    """The variables coerced to ``operation``'s definitions; BAD_USER_INPUT otherwise."""
    coerced = get_variable_values(
        schema,
        operation.variable_definitions or (),
        dict(variables or {}),
        hide_suggestions=not limits.suggestions,
    )
    if isinstance(coerced, list):
        raise RequestError.from_graphql("BAD_USER_INPUT", coerced)
    return coerced.coerced
