"""Running a subgraph schema directly, as the router's in-process transport does."""

from __future__ import annotations

from typing import Any


class Subgraph:
    def __init__(self, schema: Any, new_context: Any) -> None:
        self.schema = schema
        self.new_context = new_context

    async def run(self, query: str, context: Any = None, **variables: Any) -> dict[str, Any]:
        """Execute in a fresh request context (or the one given); returns data and errors."""
        own = context is None
        context = context or self.new_context()
        try:
            result = await self.schema.execute(
                query, variable_values=variables, context_value=context
            )
        finally:
            if own:
                await context.close()  # as the server does after each request
        return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}

    async def ok(self, query: str, context: Any = None, **variables: Any) -> dict[str, Any]:
        result = await self.run(query, context, **variables)
        assert not result["errors"], result["errors"]
        return result["data"]  # type: ignore[no-any-return]
