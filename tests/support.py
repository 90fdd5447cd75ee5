"""Running a subgraph schema directly, as the router's in-process transport does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from opsgraph.runtime import Runtime
from opsgraph.server import create_app
from opsgraph.settings import Settings, load_settings


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


@contextlib.asynccontextmanager
async def running_app(
    database_url: str, data_dir: Path, **environment: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The real server app, in-process (lifespan run, httpx over ASGI), with these settings."""
    settings = load_settings(
        {"DATABASE_URL": database_url, "OPSGRAPH_DATA_DIR": str(data_dir), **environment},
        Path("/nonexistent/.env"),
    )
    runtime = Runtime(settings)
    await asyncio.to_thread(runtime.prepare)  # Alembic runs its own event loop
    app = create_app(runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, settings


async def count_rows(sessions: Any, table: Any, tenant_id: Any) -> int:
    """Rows of `table` belonging to a tenant (read as the owner, past the tenant wall)."""
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(table).where(table.tenant_id == tenant_id)
            )
        )
