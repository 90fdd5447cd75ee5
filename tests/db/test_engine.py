"""The engine's guards against stuck requests."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import create_engine


async def test_statement_timeout_cancels_long_statements(database_url: str) -> None:
    engine = create_engine(database_url, statement_timeout_ms=200)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "200ms"
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()


# Spelled apart, so that this statement does not count itself.
PREPARED = text(
    "SELECT count(*) FROM pg_prepared_statements "
    "WHERE statement LIKE '%' || 'prepared_' || 'probe%'"
)
PROBE = text("SELECT 41 + :x AS prepared_probe")


@pytest.mark.parametrize("prepared, expected", [(True, 1), (False, 0)])
async def test_prepared_statements_are_reused_unless_turned_off(
    database_url: str, prepared: bool, expected: int
) -> None:
    """On: one statement prepared per connection, then reused. Off (PgBouncer in transaction
    mode): nothing stays prepared on the connection."""
    engine = create_engine(database_url, prepared_statements=prepared)
    try:
        async with engine.connect() as connection:
            for value in (1, 2, 3):
                result = await connection.execute(PROBE, {"x": value})
                assert result.scalar() == 41 + value
            assert (await connection.execute(PREPARED)).scalar() == expected
    finally:
        await engine.dispose()
