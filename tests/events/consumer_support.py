"""What the event consumer tests share (and the consumer process of the kill test,
tests/events/consumer_process.py): a database with the throwaway `bookmarks` domain, whose
walled table a test consumer writes one row per event into, and events of a source domain
that exists only in these tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.outbox import record_event
from opsgraph.domains import DOMAINS, Registry
from resolvers.consumers import EventConsumer
from resolvers.events import Event
from tests import throwaway_domain

REGISTRY = Registry((*DOMAINS, throwaway_domain.DOMAIN))
SOURCE = "probes"  # the outbox `domain` of the tests' events; no real domain writes it
Sessions = async_sessionmaker[AsyncSession]
Bookmark = throwaway_domain.BookmarkRow


async def write_bookmark(session: AsyncSession, event: Event) -> None:
    """The test consumers' effect: one bookmark per event, titled by the event."""
    await session.execute(
        insert(Bookmark).values(
            tenant_id=event.tenant_id, title=f"{event.payload['n']}", owner_id=event.entity_id
        )
    )


def bookmark_consumer(name: str | None = None, **options: object) -> EventConsumer:
    return EventConsumer(
        name=name or f"test.{uuid.uuid4().hex[:12]}",
        domains=frozenset({SOURCE}),
        handle=write_bookmark,
        **options,  # type: ignore[arg-type]
    )


async def add_events(
    owner: Sessions,
    tenant_id: uuid.UUID,
    numbers: Sequence[int],
    *,
    entity_ids: Sequence[uuid.UUID] | None = None,
    domain: str = SOURCE,
    kind: str = "probe.pinged",
) -> None:
    """One committed event per number (payload {"n": number}), in order, each in its own
    transaction; entity i of `entity_ids` (cycled) is the event's entity."""
    entities = entity_ids or [uuid.uuid4()]
    for i, number in enumerate(numbers):
        async with owner() as session, session.begin():
            record_event(
                session,
                tenant_id=tenant_id,
                domain=domain,
                kind=kind,
                entity_type="Probe",
                entity_id=entities[i % len(entities)],
                payload={"n": number},
            )


async def titles(owner: Sessions, tenant_id: uuid.UUID) -> list[str]:
    """The bookmarks' titles of the tenant, in the order they were written (each handler
    transaction begins after the one before committed: `now()` grows)."""
    async with owner() as session:
        rows = await session.scalars(
            select(Bookmark.title)
            .where(Bookmark.tenant_id == tenant_id)
            .order_by(Bookmark.created_at)
        )
        return list(rows)
