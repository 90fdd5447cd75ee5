"""The operation stage alone: which operation a document's request selects, and whether the
transport allows its kind."""

from __future__ import annotations

import pytest
from graphql import parse

from router.pipeline.errors import RequestError
from router.pipeline.operation import allowed_operation, selected_operation

TWO = parse('query A { me { name } } mutation B { renameUser(id: 1, name: "x") { id } }')


def test_the_named_operation_is_selected() -> None:
    assert selected_operation(TWO, "B").operation.value == "mutation"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("C", 'Unknown operation named "C".'),
        (None, "Must provide operation name if query contains multiple operations."),
    ],
)
def test_no_operation_selected_is_a_bad_request(name: str | None, message: str) -> None:
    with pytest.raises(RequestError) as refused:
        selected_operation(TWO, name)
    assert refused.value.errors == [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]


def test_a_mutation_over_get_is_a_method_problem() -> None:
    with pytest.raises(RequestError) as refused:
        allowed_operation(TWO, "B", ("query",))
    assert (refused.value.status, refused.value.headers) == (405, {"Allow": "POST"})


def test_a_kind_the_transport_does_not_carry_is_refused() -> None:
    with pytest.raises(RequestError) as refused:
        allowed_operation(TWO, "A", ("subscription",))
    assert refused.value.errors[0]["message"] == "Query operations are not supported here"
