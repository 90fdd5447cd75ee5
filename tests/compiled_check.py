"""Every query the suite's subgraphs answer through the compiled executor
(resolvers/executor/) is answered by the schema's normal executor as well, and the two
responses must be byte-identical: data, field order, errors with their messages, paths, codes
and masking, nulls where a field failed. So every kind of query the suite has, however it
reaches a subgraph (the router in-process, a subgraph called alone, a test's own `Subgraph`),
is a comparison of the fast path with graphql-core's.

The normal executor runs after the compiled one, on the same request context: in the same
transaction, it sees the same data (its loaders hold most of what the compiled run read; a
query through the router reads one snapshot, db/scope.py, so a commit between the two runs
is not seen by the second).
Mutations are not run twice (their second run would write again); neither are operations in
tests that count statements, round trips or rows read (their fixtures say so, or the marker
`compiled_unchecked`): the second run's reads would count. A difference fails the test at
its end, whatever the test made of the response (the executor's caller, the in-process
transport, turns any exception into a subgraph error a test may expect)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from graphql import OperationType

from resolvers.executor.compiled_executor import CompiledExecutor

_execute = CompiledExecutor.execute
# Fixtures of tests whose assertions a second run would change.
_COUNTING = frozenset({"statements", "one_connection"})
_differences: list[str] | None = None


async def _checked_execute(
    self: CompiledExecutor,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Any,
) -> dict[str, Any] | None:
    """``CompiledExecutor.execute``, its answer compared with the normal executor's."""
    compiled = self._compiled(query, operation_name)
    checked = (
        _differences is not None
        and compiled is not None
        and compiled.operation.operation is OperationType.QUERY
    )
    # The normal executor pops `__typename` out of representations: its own copy.
    given = copy.deepcopy(variables) if checked else None
    response = await _execute(self, query, variables, operation_name, context)
    if not checked or response is None or _differences is None:
        return response
    result = await self.schema._strawberry_schema.execute(  # type: ignore[attr-defined]
        query, variable_values=given, operation_name=operation_name, context_value=context
    )
    expected: dict[str, Any] = {"data": result.data}
    if result.errors:
        expected["errors"] = [error.formatted for error in result.errors]
    if orjson.dumps(response) != orjson.dumps(expected):
        _differences.append(
            f"{operation_name or 'operation'}:\n{query}\nvariables {variables!r}\n"
            f"compiled {response!r}\n!=\nnormal   {expected!r}"
        )
    return response


CompiledExecutor.execute = _checked_execute  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _check_compiled(request: pytest.FixtureRequest) -> Iterator[None]:
    global _differences
    counting = _COUNTING.intersection(request.fixturenames)
    if counting or request.node.get_closest_marker("compiled_unchecked"):
        yield
        return
    _differences = found = []
    try:
        yield
    finally:
        _differences = None
    if found:
        pytest.fail(
            "the compiled executor answered otherwise than the normal executor:\n\n"
            + "\n\n".join(found),
            pytrace=False,
        )
