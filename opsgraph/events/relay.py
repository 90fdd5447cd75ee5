"""The outbox relay: stamps committed events with their delivery `seq`, publishes them in
that order and marks them published; it also forgets published events past the retention
window (subscribers resuming from further back are told to resync).

It wakes on PostgreSQL NOTIFY (sent by a trigger when events commit) and also polls, so a
lost notification or a dropped LISTEN connection only delays delivery. When publishing
fails (Redis down) the batch stays unpublished and is retried: nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.outbox import (
    NOTIFY_CHANNEL,
    claim_unpublished,
    mark_published,
    prune_published,
    stamp_committed,
)
from db.tables.events import OutboxEvent
from opsgraph.events.bus import EVENTS_CHANNEL, EventBus

log = logging.getLogger(__name__)
BATCH = 200


def encode_event(event: OutboxEvent) -> bytes:
    return orjson.dumps(
        {
            "id": event.id,
            "seq": event.seq,
            "tenantId": str(event.tenant_id),
            "domain": event.domain,
            "kind": event.kind,
            "entityType": event.entity_type,
            "entityId": str(event.entity_id),
            "payload": event.payload,
            "createdAt": event.created_at.isoformat(),
        }
    )


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        database_url: str,
        *,
        poll_interval: float = 1.0,
        retention: timedelta = timedelta(hours=24),
        prune_interval: float = 300.0,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.database_url = database_url
        self.poll_interval = poll_interval
        self.retention = retention
        self.prune_interval = prune_interval
        self._pruned_at = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._stopping = False
        self.ready = asyncio.Event()  # set once LISTEN is in place (or known unavailable)

    async def publish_pending(self) -> int:
        """Publish every unpublished event now; returns how many were published."""
        published = 0
        while True:
            async with self.sessions() as session, session.begin():
                stamped = await stamp_committed(session, BATCH)
            async with self.sessions() as session, session.begin():
                batch = await claim_unpublished(session, BATCH)
                for event in batch:
                    await self.bus.publish(EVENTS_CHANNEL, encode_event(event))
                if batch:
                    await mark_published(session, [e.id for e in batch])
            published += len(batch)
            if len(batch) < BATCH and stamped < BATCH:
                return published

    async def prune(self) -> int:
        """Delete published events older than the retention window; returns how many."""
        async with self.sessions() as session, session.begin():
            return await prune_published(session, datetime.now(UTC) - self.retention)

    async def _listen(self) -> None:
        url = make_url(self.database_url).set(drivername="postgresql")
        try:
            self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("outbox relay cannot LISTEN (%s); polling only", error)

    async def _run(self) -> None:
        await self._listen()
        self.ready.set()
        backoff = self.poll_interval
        while not self._stopping:
            # Cleared before publishing: a NOTIFY that arrives meanwhile is not lost.
            self._wake.clear()
            try:
                await self.publish_pending()
                if time.monotonic() - self._pruned_at >= self.prune_interval:
                    await self.prune()
                    self._pruned_at = time.monotonic()
                backoff = self.poll_interval
            except Exception:
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                backoff = min(backoff * 2, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Let the batch in flight finish (so it is marked published), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except TimeoutError:
                log.warning("outbox relay did not stop in time; cancelled")
        if self._listener is not None:
            await self._listener.close()
