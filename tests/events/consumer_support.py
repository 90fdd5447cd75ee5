"""What the event consumer tests share with the consumer process of the kill test
(tests/events/consumer_process.py, which imports no more than it needs: it starts faster):
consumers that write one row per event into the walled table of the throwaway `bookmarks`
domain (the tests migrate a database with it), and events of source domains that exist only
in these tests (one per test, so that no test's consumer sees another's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.outbox import record_event
from db.tenants import create_tenant
from opsgraph.domains import DOMAINS, Registry
from resolvers.consumers import EventConsumer, Handler
from resolvers.events import Event
from tests import throwaway_domain

Sessions = async_sessionmaker[AsyncSession]
REGISTRY = Registry((*DOMAINS, throwaway_domain.DOMAIN))
Bookmark = throwaway_domain.BookmarkRow


async def write_bookmark(session: AsyncSession, event: Event) -> None:
    """The test consumers' effect: one bookmark per event, titled by the event's number."""
    await session.execute(
        insert(Bookmark).values(
            tenant_id=event.tenant_id, title=str(event.payload["n"]), owner_id=event.entity_id
        )
    )


def bookmark_consumer(
    source: str, handle: Handler = write_bookmark, name: str | None = None, **options: Any
) -> EventConsumer:
    """A consumer of `source`'s events (by default writing a bookmark per event)."""
    return EventConsumer(
        name=name or f"test.{uuid.uuid4().hex[:12]}",
        domains=frozenset({source}),
        handle=handle,
        **options,
    )


async def add_events(
    owner: Sessions,
    tenant_id: uuid.UUID,
    numbers: Iterable[int],
    source: str,
    *,
    entity_ids: Sequence[uuid.UUID] = (),
    kind: str = "probe.pinged",
) -> None:
    """One committed event of `source` per number (payload {"n": number}), in order, each
    in a transaction of its own; the entities given take turns as the events' entity."""
    entities = list(entity_ids) or [uuid.uuid4()]
    for i, number in enumerate(numbers):
        async with owner() as session, session.begin():
            record_event(
                session,
                tenant_id=tenant_id,
                domain=source,
                kind=kind,
                entity_type="Probe",
                entity_id=entities[i % len(entities)],
                payload={"n": number},
            )


async def titles(owner: Sessions, tenant_id: uuid.UUID) -> list[str]:
    """The tenant's bookmarks' titles in the order they were written (each handler
    transaction begins after the one before committed, so `now()` grows)."""
    async with owner() as session:
        rows = await session.scalars(
            select(Bookmark.title)
            .where(Bookmark.tenant_id == tenant_id)
            .order_by(Bookmark.created_at)
        )
        return list(rows)


async def new_tenant(owner: Sessions) -> uuid.UUID:
    """A tenant of its own (created by the owner)."""
    async with owner() as session, session.begin():
        slug = f"t-{uuid.uuid4().hex[:10]}"
        return await create_tenant(session, slug, f"Tenant {slug}")
