"""Running the integrity checks on a database, as its owner, in one read-only snapshot."""

from __future__ import annotations

from db.engine import create_engine
from opsgraph.domains import REGISTRY, Registry
from opsgraph.integrity.checks import Finding, verify
from opsgraph.integrity.snapshot import Snapshot


async def verify_database(
    owner_url: str, *, expected: Snapshot | None = None, registry: Registry = REGISTRY
) -> list[Finding]:
    """Every integrity finding of the database at `owner_url` (and against `expected`)."""
    engine = create_engine(owner_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            snapshot = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            found = await verify(snapshot, registry, expected)
            await snapshot.rollback()
            return found
    finally:
        await engine.dispose()
