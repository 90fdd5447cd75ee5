"""SQL statements per HTTP request: an engine listener counts each statement into the
counter of the request running it, and an ASGI middleware opens that counter and records
it once the request is answered.

The counter is a context variable holding a one-item list: the tasks a request starts
(DataLoader batches) copy the context, and so share the list; SQLAlchemy's greenlets run
in the context of the task that awaits them. Statements outside a request (the outbox
relay, subscriptions' events) count nowhere."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from opsgraph.metrics.families import STATEMENTS

_COUNTER: ContextVar[list[int] | None] = ContextVar("opsgraph_statements", default=None)


def count_statements(engine: AsyncEngine) -> None:
    """Count the statements ``engine`` runs (those ``db.scope`` sends on the driver's
    connection are announced to the same listeners)."""
    event.listen(engine.sync_engine, "before_cursor_execute", _count)


def _count(*args: Any) -> None:
    counter = _COUNTER.get()
    if counter is not None:
        counter[0] += 1


class StatementsPerRequest:
    """Records each HTTP request's statement count (GraphQL requests: ``paths``)."""

    def __init__(self, app: ASGIApp, paths: frozenset[str] = frozenset({"/graphql"})) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        counter = [0]
        token = _COUNTER.set(counter)
        try:
            await self.app(scope, receive, send)
        finally:
            _COUNTER.reset(token)
            STATEMENTS.observe(counter[0])
