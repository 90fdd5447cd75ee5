"""Month partitions of `audit.entries`, created ahead of time by the owner.

Migration 0003 gives the table only a DEFAULT partition, so an insert never fails. At every
start the server (as the owner) calls `ensure_partitions`: it creates the partitions of the
current month and of the months ahead that do not exist yet, in the `audit_partitions`
schema. Should a server run past the months it prepared, records land in DEFAULT; creating
their month's partition later first moves those rows out of DEFAULT (PostgreSQL refuses to
attach a partition whose range DEFAULT still holds rows), all in one transaction.

Idempotent and safe to run concurrently from several replicas: a transaction-level advisory
lock serialises them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.tables.audit import PARTITION_SCHEMA, SCHEMA, AuditEntry

PARENT = f"{SCHEMA}.{AuditEntry.__tablename__}"
DEFAULT_PARTITION = f"{PARTITION_SCHEMA}.entries_default"
# Any constant unique to this job; pg_advisory_xact_lock ends with the transaction.
LOCK_KEY = 0x0A0D17


def month_start(day: date, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"entries_y{month.year:04d}m{month.month:02d}"


async def _exists(connection: AsyncConnection, name: str) -> bool:
    found = await connection.scalar(
        text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{PARTITION_SCHEMA}.{name}"}
    )
    return bool(found)


async def _create(connection: AsyncConnection, month: date) -> None:
    table = f"{PARTITION_SCHEMA}.{partition_name(month)}"
    low, high = month.isoformat(), month_start(month, 1).isoformat()
    # Bounds are timestamps with time zone: months in UTC, whatever the session's zone.
    bounds = f"FROM ('{low} 00:00:00+00') TO ('{high} 00:00:00+00')"
    await connection.execute(
        text(f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    await connection.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
            "WHERE recorded_at >= :low AND recorded_at < :high RETURNING *) "
            f"INSERT INTO {table} SELECT * FROM moved"
        ),
        {
            "low": datetime.fromisoformat(f"{low}T00:00:00+00:00"),
            "high": datetime.fromisoformat(f"{high}T00:00:00+00:00"),
        },
    )
    await connection.execute(
        text(f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES {bounds}")
    )


async def ensure_partitions(
    owner_engine: AsyncEngine, *, today: date | None = None, months_ahead: int = 1
) -> list[str]:
    """Create the missing partitions from this month to `months_ahead` months later (UTC);
    returns the names of those created."""
    first = month_start(today or datetime.now(UTC).date())
    created: list[str] = []
    async with owner_engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        for offset in range(months_ahead + 1):
            month = month_start(first, offset)
            if not await _exists(connection, partition_name(month)):
                await _create(connection, month)
                created.append(partition_name(month))
    return created
