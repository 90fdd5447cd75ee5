"""Writing events to the transactional outbox (inside the caller's unit of work)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.event_trace import TRACE_KEY, current_trace
from db.reads import compiled_statement
from db.tables import events


def record_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    domain: str,
    kind: str,
    entity_type: str,
    entity_id: uuid.UUID,
    payload: dict[str, Any],
) -> events.OutboxEvent:
    """Add an event to the session; it commits or rolls back with the change it describes.
    The payload keeps the trace context the event is written in (db/event_trace.py)."""
    carried = current_trace()
    if carried:
        payload = {**payload, TRACE_KEY: carried}
    event = events.OutboxEvent(
        tenant_id=tenant_id,
        domain=domain,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
    )
    session.add(event)
    return event


EVENT_COLUMNS = ("tenant_id", "domain", "kind", "entity_type", "entity_id", "payload")


def insert_events(rows: Select[Any]) -> Insert:
    """An INSERT of one event per row of `rows` (the values of EVENT_COLUMNS, in order), for a
    statement that writes a change and its event at once because the payload holds a value
    the same statement makes (an incident's number). Like `record_event`'s, the events
    commit or roll back with the change. Such a statement is built once and run many
    times: the trace context joins the payload as a parameter taken as it runs."""
    *columns, payload = rows.selected_columns
    carried = bindparam("event_trace", type_=JSONB, callable_=_trace_payload, unique=True)
    rows = rows.with_only_columns(*columns, payload.op("||")(carried))
    return insert(events.OutboxEvent).from_select(EVENT_COLUMNS, rows)


def _trace_payload() -> dict[str, Any]:
    carried = current_trace()
    return {TRACE_KEY: carried} if carried else {}


NOTIFY_CHANNEL = "opsgraph_outbox"

# One stamping transaction at a time across every relay process, so `seq` stays gapless.
SEQUENCE_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('opsgraph.outbox.seq'))"
SEQUENCE_LOCK = text(SEQUENCE_LOCK_SQL)
_STAMP_SQL = """
    WITH todo AS (
        SELECT id FROM events.outbox WHERE seq IS NULL ORDER BY id LIMIT {limit} FOR UPDATE
    ), numbered AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n FROM todo
    ), base AS (
        SELECT coalesce(max(seq), 0) AS last FROM events.outbox
    )
    UPDATE events.outbox AS o SET seq = base.last + numbered.n
    FROM numbered, base WHERE o.id = numbered.id
    """
STAMP = text(_STAMP_SQL.format(limit=":limit"))
STAMP_SQL = _STAMP_SQL.format(limit="$1")  # on the driver's connection: the limit is $1

Outbox = events.OutboxEvent


async def stamp_committed(session: AsyncSession, limit: int) -> int:
    """Give up to `limit` committed, unstamped events their delivery `seq`, in id order.

    Only committed events are visible here, so an event whose transaction commits late gets
    a later `seq` than events already stamped: `seq` is the order events became visible."""
    await session.execute(SEQUENCE_LOCK)
    result = await session.execute(STAMP, {"limit": limit})
    return int(result.rowcount)  # type: ignore[attr-defined]


def _claim() -> Any:
    """The stamped, unpublished events in `seq` order (`limit` of them), marked published in
    the same statement and locked so that a second relay skips them."""
    claimed = (
        select(Outbox.id)
        .where(Outbox.published_at.is_(None), Outbox.seq.isnot(None))
        .order_by(Outbox.seq)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(Outbox)
        .where(Outbox.id.in_(claimed.scalar_subquery()))
        .values(published_at=func.now())
        .returning(*Outbox.__table__.columns)
    )


_CLAIM = _claim()


async def claim_for_publishing(connection: AsyncConnection, limit: int) -> list[Any]:
    """Claim up to `limit` events in the transaction open on `connection` (see `_claim`), as
    rows of the outbox's columns in `seq` order: the caller publishes them before it
    commits, and a rollback (publishing failed) leaves them unpublished, for the next
    round. Run on the driver's connection, as `db.reads` runs reads (the relay's round trips
    are a share of every write's cost)."""
    claim = compiled_statement(_CLAIM, connection.dialect)
    sql, arguments = claim.bound({"limit": limit}, None)
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None, "a connection checked out has its driver's"
    # RETURNING follows no ORDER BY: published in `seq` order, as stamped.
    return sorted(claim.rows(await driver.fetch(sql, *arguments)), key=_stamped_seq)


def _stamped_seq(event: Any) -> int:
    assert event.seq is not None, "only stamped events are claimed"
    return int(event.seq)


async def events_after(
    session: AsyncSession,
    after: int,
    limit: int,
    *,
    through: int | None = None,
    tenant_id: uuid.UUID | None = None,
) -> list[Outbox]:
    """Stamped events with `after < seq <= through`, in `seq` order (of one tenant, or all)."""
    query = select(Outbox).where(Outbox.seq > after)
    if through is not None:
        query = query.where(Outbox.seq <= through)
    if tenant_id is not None:
        query = query.where(Outbox.tenant_id == tenant_id)
    return list(await session.scalars(query.order_by(Outbox.seq).limit(limit)))


async def sequence_bounds(session: AsyncSession) -> tuple[int, int]:
    """(oldest retained seq, latest seq); (0, 0) before the first event."""
    row = (await session.execute(select(func.min(Outbox.seq), func.max(Outbox.seq)))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def prune_published(session: AsyncSession, older_than: datetime) -> int:
    """Forget published events created before `older_than`, keeping the latest event so
    that the sequence (and so the retention check of a resuming subscriber) survives, and
    every event an event consumer of its domain has not handled yet."""
    latest = select(func.max(Outbox.seq)).scalar_subquery()
    position = events.ConsumerPosition
    unhandled = (
        select(position.name)
        .where(position.last_seq < Outbox.seq, Outbox.domain == func.any(position.domains))
        .exists()
    )
    result = await session.execute(
        delete(Outbox).where(
            Outbox.published_at.isnot(None),
            Outbox.created_at < older_than,
            Outbox.seq < latest,
            ~unhandled,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
