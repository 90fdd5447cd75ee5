"""Committed domain events as subgraph subscriptions see them, and the feed that delivers them.

The feed (implemented by the server, see opsgraph/events/hub.py) hands a subscription the
events of one tenant in `seq` order, gapless and without duplicates: first the retained
events after the client's resume position, then live ones. `live_events` turns that feed into
what a subscription resolver yields, checking the subscriber again for every event."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import strawberry
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import QueryableAttribute

from db.event_trace import continued_span
from db.failures import is_connection_failure
from resolvers.errors import BadUserInput, SubscriptionsUnavailable
from resolvers.permissions import check

T = TypeVar("T")
RETRY_FIRST, RETRY_MAX = 0.1, 1.0  # seconds between loads while the database is unreachable


@dataclass(frozen=True, slots=True)
class Event:
    """One committed change; `seq` is its position in the delivery order (the resume id)."""

    seq: int
    tenant_id: uuid.UUID
    kind: str
    entity_type: str
    entity_id: uuid.UUID
    payload: dict[str, Any]
    occurred_at: datetime
    # The W3C trace context of the mutation that wrote it (db/event_trace.py), if traced.
    trace: Mapping[str, str] | None = None


class EventFeed(Protocol):
    @property
    def last_seq(self) -> int:
        """The latest event the feed has delivered: every event up to it has committed, so
        an answer read from the database afterwards reflects it. A subscription that first
        answers with the current state passes it as `after` to `stream`, so that no event
        committed in between falls into the gap (it comes again from retention)."""
        ...

    def stream(self, tenant_id: uuid.UUID, after: int | None) -> AsyncIterator[Event]:
        """Events of `tenant_id` with `seq > after` (retained ones first), then live ones.

        Raises ResyncRequired when `after` is older than the retention window."""
        ...


def resume_position(after: str | None) -> int | None:
    """The `after` argument of a subscription: an event id previously received."""
    if after is None:
        return None
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        raise BadUserInput("after must be the id of an event received earlier", argument="after")
    return int(after)


async def live_events(
    info: strawberry.Info,
    permission: str,
    after: int | None,
    load: Callable[[Event], Awaitable[T | None]],
) -> AsyncIterator[tuple[Event, T]]:
    """Events of the subscriber's tenant, each paired with what `load` makes of it.

    For every event the subscriber's permission is checked again and the event's data is
    loaded afresh through the subscriber's own (tenant-walled) database scope; an event whose
    data the subscriber may not see (`load` returns None) is skipped. The context's database
    scope is released after each event, so an idle subscription holds no connection. While
    the database is unreachable the load is retried (every second at most): the subscription
    outlives an outage and delivers the event once the database is back. Each event's load
    is a span in the trace of the mutation that wrote the event."""
    context = info.context
    feed: EventFeed | None = getattr(context, "events", None)
    if feed is None:
        raise SubscriptionsUnavailable("This server does not deliver events")
    check(context.principal, permission)
    async for event in feed.stream(context.tenant_id, after):
        check(context.principal, permission)
        attributes: dict[str, AttributeValue] = {
            "opsgraph.event.seq": event.seq,
            "opsgraph.event.kind": event.kind,
        }
        with continued_span(f"deliver {event.kind}", event.trace, SpanKind.CONSUMER, attributes):
            item = await when_reachable(context, functools.partial(load, event))
        if item is None:
            await context.end_event()
            continue
        yield event, item


async def when_reachable(context: Any, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`'s answer, read again while the database is unreachable (every second at most,
    each attempt on a fresh connection): a subscription outlives an outage."""
    pause = RETRY_FIRST
    while True:
        try:
            return await read()
        except Exception as error:
            if not is_connection_failure(error):
                raise
        await context.end_event()  # the next attempt starts on a fresh connection
        await asyncio.sleep(pause)
        pause = min(pause * 2, RETRY_MAX)


class RowMatcher:
    """`live_events`' load for subscriptions that deliver rows of one table: the row an event
    is about, read afresh through the subscriber's `query` (tenant-walled, narrowed by its
    filter), or None when the event is about no row the subscriber asked for.

    `rows_of(event)` names the rows an event is about, in order of preference (empty: the
    event is not for this subscription): an entity's own id, or for an event about a link
    between entities the ids at its ends. The first that `query` still returns is yielded."""

    def __init__(
        self,
        info: strawberry.Info,
        query: Select[Any],
        id_column: ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID],
        rows_of: Callable[[Event], Sequence[uuid.UUID]],
    ) -> None:
        self.info = info
        self.query = query
        self.id_column = id_column
        self.rows_of = rows_of

    async def __call__(self, event: Event) -> Any:
        ids = self.rows_of(event)
        if not ids:
            return None
        rows = await self.info.context.db.rows(self.query.where(self.id_column.in_(ids)))
        by_id = {row.id: row for row in rows}
        return next((by_id[id] for id in ids if id in by_id), None)
