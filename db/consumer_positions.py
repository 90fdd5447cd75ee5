"""Event consumers' positions (`events.consumer_positions`, migration core_0002) and the
events a consumer reads. The runner (opsgraph/events/consumers.py) calls these; positions
are created and failures recorded through the owner's connection, while a handled event's
position is locked and moved inside the handler's own transaction (the application role's,
behind the event's tenant wall)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    bindparam,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables.events import ConsumerPosition, OutboxEvent

ERROR_TEXT_LIMIT = 2000  # characters of a failure's text kept in the position row


class Position(NamedTuple):
    """The last event a consumer handled, and how many rebuilds had moved it back then: what
    a runner read is out of date once `rebuilds` differs."""

    seq: int
    rebuilds: int


_POSITION = select(ConsumerPosition.last_seq, ConsumerPosition.rebuilds)


async def register(
    session: AsyncSession, name: str, domains: Collection[str], *, from_oldest: bool
) -> None:
    """Create the consumer's position unless it exists: after the oldest retained event
    (`from_oldest`: a read model built from what is retained) or at the latest (a reaction
    new to this database does not replay what happened before it). The `domains` it reads
    are recorded (again, when its declaration changed) for pruning."""
    start = (
        func.coalesce(func.min(OutboxEvent.seq) - 1, 0)
        if from_oldest
        else func.coalesce(func.max(OutboxEvent.seq), 0)
    )
    await session.execute(
        insert(ConsumerPosition)
        .from_select(
            ["name", "domains", "last_seq"],
            select(literal(name), literal(sorted(domains), ConsumerPosition.domains.type), start),
        )
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"domains": literal(sorted(domains), ConsumerPosition.domains.type)},
            where=ConsumerPosition.domains
            != literal(sorted(domains), ConsumerPosition.domains.type),
        )
    )


async def read_position(session: AsyncSession, name: str) -> Position | None:
    """The consumer's position; None when it is not registered."""
    row = (await session.execute(_POSITION.where(ConsumerPosition.name == name))).first()
    return Position(*row) if row is not None else None


async def lock_position(session: AsyncSession, name: str, *, wait: bool = False) -> Position | None:
    """Lock the consumer's position for the transaction and return it: None when another
    transaction holds it (another replica is handling) and `wait` is false."""
    query = _POSITION.where(ConsumerPosition.name == name)
    row = (await session.execute(query.with_for_update(skip_locked=not wait))).first()
    return Position(*row) if row is not None else None


HELD = "SELECT 1"  # the command status of `hold_if_unchanged` when it took the lock


def quoted(name: str) -> str:
    """A consumer's name as an SQL string literal, for the statements below (sent in the
    round trip of a delivery's BEGIN or COMMIT, as simple queries: no parameters).
    PostgreSQL's strings are standard-conforming (since 9.1): a quote is the one character
    to escape."""
    return "'" + name.replace("'", "''") + "'"


def hold_if_unchanged(quoted_name: str, read: Position) -> str:
    """Lock the consumer's position in the transaction if it is still as `read` (its status
    then `HELD`); when another transaction holds it, or it moved, nothing is locked."""
    return (
        f"SELECT 1 FROM events.consumer_positions WHERE name = {quoted_name} "
        f"AND last_seq = {int(read.seq)} AND rebuilds = {int(read.rebuilds)} "
        "FOR UPDATE SKIP LOCKED"
    )


def record_handled_sql(quoted_name: str, seq: int) -> str:
    """The event `seq` is handled: the statement `record_handled` runs, for a delivery's
    COMMIT to carry."""
    return (
        f"UPDATE events.consumer_positions SET last_seq = {int(seq)}, "
        f"last_handled_at = now(), consecutive_failures = 0 WHERE name = {quoted_name}"
    )


async def record_handled(session: AsyncSession, name: str, seq: int) -> None:
    """The event `seq` is handled (in the transaction of its effects, the row locked)."""
    await session.execute(text(record_handled_sql(quoted(name), seq)))


async def pass_over(session: AsyncSession, name: str, through: int, read: Position) -> None:
    """Move the position up to `through`: every event of the consumer's from `read` up to
    there is handled, the rest are not its own. Never moves it back (another replica may be
    ahead), nor at all when a rebuild moved it back since `read`."""
    await session.execute(
        update(ConsumerPosition)
        .where(
            ConsumerPosition.name == name,
            ConsumerPosition.last_seq < through,
            ConsumerPosition.rebuilds == read.rebuilds,
        )
        .values(last_seq=through)
    )


async def rebuild_from(session: AsyncSession, name: str, seq: int) -> None:
    """Put the position back at `seq` for a rebuild, forgetting past failures (the row
    locked by the caller)."""
    await session.execute(
        update(ConsumerPosition)
        .where(ConsumerPosition.name == name)
        .values(last_seq=seq, rebuilds=ConsumerPosition.rebuilds + 1, consecutive_failures=0)
    )


async def record_failure(session: AsyncSession, name: str, seq: int, error: str) -> None:
    await session.execute(
        update(ConsumerPosition)
        .where(ConsumerPosition.name == name)
        .values(
            error_count=ConsumerPosition.error_count + 1,
            consecutive_failures=ConsumerPosition.consecutive_failures + 1,
            last_error=error[:ERROR_TEXT_LIMIT],
            last_error_seq=seq,
            last_error_at=func.now(),
        )
    )


def _of_consumer(
    domains: Collection[str] | None, kinds: Collection[str] | None
) -> list[ColumnElement[bool]]:
    """Conditions on the events of these domains and kinds (None: of any)."""
    conditions: list[ColumnElement[bool]] = []
    if domains is not None:
        conditions.append(OutboxEvent.domain.in_(sorted(domains)))
    if kinds is not None:
        conditions.append(OutboxEvent.kind.in_(sorted(kinds)))
    return conditions


class Round(NamedTuple):
    """What one statement (`read_round`) tells a consumer's round: its position, the latest
    stamped `seq`, and its events after the position up to there."""

    position: Position
    latest: int
    events: list[Row[Any]]


_EVENT_COLUMNS = (
    OutboxEvent.seq,
    OutboxEvent.tenant_id,
    OutboxEvent.kind,
    OutboxEvent.entity_type,
    OutboxEvent.entity_id,
    OutboxEvent.payload,
    OutboxEvent.created_at,
)


def _round_statement(domains: Collection[str], kinds: Collection[str] | None) -> Select[Any]:
    latest = select(func.coalesce(func.max(OutboxEvent.seq), 0).label("latest")).subquery()
    events = (
        select(*_EVENT_COLUMNS)
        .where(
            OutboxEvent.seq > ConsumerPosition.last_seq,
            OutboxEvent.seq <= latest.c.latest,
            *_of_consumer(domains, kinds),
        )
        .order_by(OutboxEvent.seq)
        .limit(bindparam("limit"))
        .lateral("events")
    )
    return (
        select(
            ConsumerPosition.last_seq,
            ConsumerPosition.rebuilds,
            latest.c.latest,
            *(events.c[column.key] for column in _EVENT_COLUMNS),
        )
        .select_from(ConsumerPosition)
        .join(latest, true())
        .outerjoin(events, true())
        .where(ConsumerPosition.name == bindparam("name"))
        .order_by(events.c.seq)
    )


_ROUNDS: dict[tuple[frozenset[str], frozenset[str] | None], Select[Any]] = {}


async def read_round(
    session: AsyncSession,
    name: str,
    domains: Collection[str],
    kinds: Collection[str] | None,
    limit: int,
) -> Round | None:
    """In one statement: the consumer's position, the latest stamped `seq`, and up to
    `limit` of the stamped events of `domains` (and `kinds`) after the position up to the
    latest, in `seq` order (rows with `seq`, `tenant_id`, `kind`, `entity_type`,
    `entity_id`, `payload`, `created_at`). None when the consumer is not registered."""
    key = (frozenset(domains), frozenset(kinds) if kinds is not None else None)
    statement = _ROUNDS.get(key)
    if statement is None:
        statement = _ROUNDS[key] = _round_statement(domains, kinds)
    rows = (await session.execute(statement, {"name": name, "limit": limit})).all()
    if not rows:
        return None
    first = rows[0]
    events = [row for row in rows if row.seq is not None]
    return Round(Position(first.last_seq, first.rebuilds), int(first.latest), events)


@dataclass(frozen=True)
class Backlog:
    """A consumer's events after its position: how many, and how long the oldest waited."""

    events: int
    oldest_seconds: float


async def backlog(
    session: AsyncSession,
    domains: Collection[str] | None,
    kinds: Collection[str] | None,
    after: int,
) -> Backlog:
    waited = func.extract("epoch", func.now() - func.min(OutboxEvent.created_at))
    row = (
        await session.execute(
            select(func.count(), waited).where(
                OutboxEvent.seq > after, *_of_consumer(domains, kinds)
            )
        )
    ).one()
    return Backlog(events=int(row[0]), oldest_seconds=float(row[1] or 0.0))


async def positions(session: AsyncSession) -> list[ConsumerPosition]:
    """Every registered consumer's position row, by name."""
    return list(await session.scalars(select(ConsumerPosition).order_by(ConsumerPosition.name)))
