"""`python -m tests.server_answers URL`: exit 0 when a PostgreSQL server answers at URL (within
a few seconds), 1 otherwise. `make test` asks it before running the plan tests (marker
`plans`) again on the system's server: the embedded one is another major version, whose
planner chooses otherwise (a correlated IN ran once per row on 15, not on 17)."""

from __future__ import annotations

import asyncio
import sys

import asyncpg


async def answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(answers(sys.argv[1])) else 1)
