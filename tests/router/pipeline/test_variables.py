"""The variables stage alone: limits before anything reads them, then coercion."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse

from router.composition import Supergraph
from router.limits import OperationLimits
from router.pipeline.errors import RequestError
from router.pipeline.variables import check_variable_limits, coerced_variables

LIMITS = OperationLimits(max_variable_depth=2)
RENAME = parse("mutation($id: ID!, $name: String!) { renameUser(id: $id, name: $name) { id } }")


def operation() -> OperationDefinitionNode:
    definition = RENAME.definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    return definition


def code_of(refused: pytest.ExceptionInfo[RequestError]) -> str:
    return str(refused.value.errors[0]["extensions"]["code"])


@pytest.mark.parametrize(
    ("variables", "code"),
    [([1], "BAD_REQUEST"), ({"a": {"b": {"c": {"d": [1]}}}}, "MAX_VARIABLE_DEPTH_LIMIT")],
)
def test_variables_beyond_the_limits_are_refused(variables: Any, code: str) -> None:
    with pytest.raises(RequestError) as refused:
        check_variable_limits(variables, LIMITS)
    assert code_of(refused) == code


def test_variables_within_the_limits_pass() -> None:
    check_variable_limits(None, LIMITS)
    check_variable_limits({"id": "u1"}, LIMITS)


def test_variables_are_coerced_to_the_operations_types(supergraph: Supergraph) -> None:
    coerced = coerced_variables(supergraph.schema, operation(), {"id": 1, "name": "Ada"}, LIMITS)
    assert coerced == {"id": "1", "name": "Ada"}


def test_variables_that_do_not_coerce_are_bad_user_input(supergraph: Supergraph) -> None:
    with pytest.raises(RequestError) as refused:
        coerced_variables(supergraph.schema, operation(), {"id": "u1"}, LIMITS)
    assert code_of(refused) == "BAD_USER_INPUT"
    assert "$name" in refused.value.errors[0]["message"]
