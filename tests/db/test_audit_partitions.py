"""Month partitions of the audit log: created ahead, rows moved out of DEFAULT, idempotent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.audit_partitions import ensure_partitions, month_start, partition_name
from db.engine import create_engine
from db.tables import audit
from opsgraph.runtime import Runtime
from opsgraph.settings import load_settings
from tests.conftest import fresh_database


@pytest.fixture
def own_database(server_url: str) -> Iterator[str]:
    """A database of its own: partitions are database-wide."""
    yield from fresh_database(server_url, "opsgraph_partitions")


@pytest.fixture
async def owner(own_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database)
    yield engine
    await engine.dispose()


async def record_at(engine: AsyncEngine, when: datetime) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(audit.AuditEntry).values(
                tenant_id=uuid.uuid4(),
                recorded_at=when,
                operation="createIncident",
                entity_type="Incident",
                entity_id=uuid.uuid4(),
                request_id="r",
            )
        )


async def partitions_of_rows(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT tableoid::regclass::text, to_char(recorded_at AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD') FROM audit.entries ORDER BY recorded_at"
            )
        )
        return [(row[0], row[1]) for row in rows]


def test_month_start_crosses_years() -> None:
    assert month_start(date(2030, 12, 31), 1) == date(2031, 1, 1)
    assert month_start(date(2030, 1, 15), 0) == date(2030, 1, 1)
    assert month_start(date(2030, 11, 2), 14) == date(2032, 1, 1)


async def test_partitions_are_created_ahead_and_take_rows_out_of_default(
    owner: AsyncEngine,
) -> None:
    await record_at(owner, datetime(2030, 3, 31, 23, 59, tzinfo=UTC))  # before any partition
    await record_at(owner, datetime(2030, 4, 1, 0, 0, tzinfo=UTC))
    assert [p for p, _ in await partitions_of_rows(owner)] == [
        "audit_partitions.entries_default",
        "audit_partitions.entries_default",
    ]

    created = await ensure_partitions(owner, today=date(2030, 3, 15), months_ahead=1)

    assert created == ["entries_y2030m03", "entries_y2030m04"]
    assert await partitions_of_rows(owner) == [
        ("audit_partitions.entries_y2030m03", "2030-03-31"),
        ("audit_partitions.entries_y2030m04", "2030-04-01"),
    ]
    assert await ensure_partitions(owner, today=date(2030, 3, 15), months_ahead=1) == []
    await record_at(owner, datetime(2030, 4, 20, tzinfo=UTC))
    await record_at(owner, datetime(2030, 5, 1, tzinfo=UTC))  # not prepared: DEFAULT
    assert [p for p, _ in await partitions_of_rows(owner)][2:] == [
        "audit_partitions.entries_y2030m04",
        "audit_partitions.entries_default",
    ]


def test_server_start_prepares_this_and_next_month(own_database: str, tmp_path: Path) -> None:
    settings = load_settings(
        {"DATABASE_URL": own_database, "OPSGRAPH_DATA_DIR": str(tmp_path)},
        Path("/nonexistent/.env"),
    )
    Runtime(settings).prepare()  # migrates (already at head) and tops partitions up

    async def partitions() -> list[str]:
        engine = create_engine(own_database)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        " WHERE i.inhparent = 'audit.entries'::regclass ORDER BY 1"
                    )
                )
                return [row[0] for row in rows]
        finally:
            await engine.dispose()

    this_month = month_start(datetime.now(UTC).date())
    expected = [partition_name(this_month), partition_name(month_start(this_month, 1))]
    assert asyncio.run(partitions()) == sorted(["entries_default", *expected])
