"""Executing a subgraph in-process: what the router's in-process transport calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import strawberry
from strawberry.types import ExecutionResult

from resolvers.errors import with_code
from resolvers.schema import SubgraphSchema
from router.execution.in_process import ExecuteFunction, SubscribeFunction


def subgraph_sdl(schema: strawberry.federation.Schema) -> str:
    """What the subgraph answers to `{ _service { sdl } }`."""
    return schema.as_str()


def in_process_executor(schema: strawberry.federation.Schema) -> ExecuteFunction:
    """An `execute(query, variables, operation_name, context)` for the router's in-process
    transport: runs the subgraph schema directly, with the request's own context. Queries
    take the schema's compiled path when it covers them (resolvers/executor/)."""
    compiled = schema.compiled if isinstance(schema, SubgraphSchema) else None

    async def execute(
        query: str, variables: dict[str, Any] | None, operation_name: str | None, context: Any
    ) -> dict[str, Any]:
        if compiled is not None:
            response = await compiled.execute(query, variables, operation_name, context)
            if response is not None:
                return response
        result = await schema.execute(
            query,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
        )
        return _response(result)

    return execute


def in_process_subscriber(schema: strawberry.federation.Schema) -> SubscribeFunction:
    """A `subscribe(query, variables, operation_name, context)` for the in-process transport:
    the subgraph's subscription as a stream of GraphQL JSON responses."""

    async def subscribe(
        query: str, variables: dict[str, Any] | None, operation_name: str | None, context: Any
    ) -> AsyncIterator[dict[str, Any]]:
        results = await schema.subscribe(
            query,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
        )
        async for result in results:
            # An error raised by the subscription's event stream reaches this result with
            # neither code nor masking (ErrorCodes saw another result object): give it both.
            if result.errors:
                result.errors = [with_code(error, context) for error in result.errors]
            yield _response(result)

    return subscribe


def _response(result: ExecutionResult) -> dict[str, Any]:
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    return response
