"""A compiled execution path for the queries a subgraph runs in-process.

The router sends each subgraph the same few generated documents over and over; graphql-core
re-walks each one per request and runs its per-field machinery (~800 field executions for
an incidents page). ``CompiledQueries`` plans a document once (resolvers/compiled/plan.py)
and runs the plan (resolvers/compiled/run.py). It answers ``None`` for whatever it does not
cover, and the caller then runs the schema's normal executor: mutations, subscriptions,
directives, introspection, invalid documents and variables, NUL characters (whose errors
the normal path's extensions produce).
"""

from __future__ import annotations

import functools
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse
from graphql.execution.values import get_variable_values

from resolvers.compiled.plan import QueryPlan, compile_query
from resolvers.compiled.run import PlanRun
from resolvers.text import contains_nul, literals_contain_nul

__all__ = ["CompiledQueries"]


class CompiledQueries:
    """Plans per (document, operation name), kept in an LRU cache of ``cache_size``."""

    def __init__(self, schema: GraphQLSchema, cache_size: int = 512) -> None:
        self.schema = schema
        self._plan = functools.lru_cache(maxsize=cache_size)(self._compile)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
    ) -> dict[str, Any] | None:
        """The GraphQL response (``data`` and formatted ``errors``), or None when the normal
        executor must answer this request."""
        plan = self._plan(query, operation_name)
        if plan is None or (variables and contains_nul(variables)):
            return None
        coerced = get_variable_values(
            self.schema, plan.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            return None
        run = PlanRun(self.schema, plan, coerced, context)
        response: dict[str, Any] = {"data": await run.data()}
        if run.errors:
            response["errors"] = [error.formatted for error in run.errors]
        return response

    def _compile(self, query: str, operation_name: str | None) -> QueryPlan | None:
        try:
            document = parse(query)
        except GraphQLError:
            return None
        if literals_contain_nul(document):
            return None
        return compile_query(self.schema, document, operation_name)
