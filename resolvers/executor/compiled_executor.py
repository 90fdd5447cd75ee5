"""The compiled executor's entry: compiled operations cached per document, run per request."""

from __future__ import annotations

import functools
from typing import Any

from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema, parse
from graphql.execution.values import VariableValues, get_variable_values

from resolvers.executor.compiler import compile_operation
from resolvers.executor.operation import REPRESENTATION, CompiledOperation
from resolvers.executor.run import OperationRun
from resolvers.text import contains_nul, literals_contain_nul


class CompiledExecutor:
    """Compiled operations per (document, operation name), kept in an LRU cache of
    ``cache_size``; each request runs one or is declined (None)."""

    def __init__(self, schema: GraphQLSchema, cache_size: int = 512) -> None:
        self.schema = schema
        self._compiled = functools.lru_cache(maxsize=cache_size)(self._compile)
        any_type = schema.get_type(REPRESENTATION)
        probe = object()
        self._any_verbatim = (
            isinstance(any_type, GraphQLScalarType) and any_type.coerce_input_value(probe) is probe
        )

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
    ) -> dict[str, Any] | None:
        """The GraphQL response (``data`` and formatted ``errors``), or None when the normal
        executor must answer this request."""
        compiled = self._compiled(query, operation_name)
        if compiled is None or (variables and contains_nul(variables)):
            return None
        coerced = self._coerced(compiled, variables or {})
        if coerced is None:
            return None
        run = OperationRun(self.schema, compiled, coerced, context)
        response: dict[str, Any] = {"data": await run.data()}
        if run.errors:
            response["errors"] = [error.formatted for error in run.errors]
        return response

    def _coerced(
        self, compiled: CompiledOperation, variables: dict[str, Any]
    ) -> VariableValues | None:
        """The variables coerced (None when they do not fit the operation). A list of
        objects given for representations (``[_Any!]!``) is taken as it is: coercing it
        returns the same objects (``_Any`` parses a value as itself) at a cost per entity,
        and a router's entity fetch sends thousands."""
        verbatim = {
            name: value
            for name in (compiled.representations if self._any_verbatim else ())
            if type(value := variables.get(name)) is list
            and all(type(item) is dict for item in value)
        }
        given = {**variables, **{name: [] for name in verbatim}} if verbatim else variables
        coerced = get_variable_values(
            self.schema, compiled.operation.variable_definitions or (), given
        )
        if isinstance(coerced, list):
            return None
        for name, value in verbatim.items():
            coerced.coerced[name] = value
            coerced.sources[name] = coerced.sources[name]._replace(value=value)
        return coerced

    def _compile(self, query: str, operation_name: str | None) -> CompiledOperation | None:
        try:
            document = parse(query)
        except GraphQLError:
            return None
        if literals_contain_nul(document):
            return None
        return compile_operation(self.schema, document, operation_name)
