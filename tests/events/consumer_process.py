"""A consumer process for the kill test (tests/events/test_consumer_restart.py):
`python -m tests.events.consumer_process DATABASE_URL CONSUMER SOURCE` runs the bookmark
consumer CONSUMER of SOURCE's events until SIGTERM (then stops cleanly) or SIGKILL."""

from __future__ import annotations

import asyncio
import signal
import sys

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from opsgraph.events.consumers import ConsumerRunner
from resolvers.events import Event
from tests.events.consumer_support import bookmark_consumer, write_bookmark

PACE = 0.01  # seconds each event takes, so that a kill lands part-way through the stream


async def slow_bookmark(session: AsyncSession, event: Event) -> None:
    await write_bookmark(session, event)
    await asyncio.sleep(PACE)


async def main(database_url: str, name: str, source: str) -> None:
    owner = create_engine(database_url, pool_size=2, max_overflow=0)
    app = create_engine(app_database_url(database_url), pool_size=2, max_overflow=0)
    runner = ConsumerRunner(
        bookmark_consumer(source, slow_bookmark, name),
        session_factory(owner),
        session_factory(app),
        poll_interval=0.05,
    )
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    runner.start()
    print("started", flush=True)
    await stopped.wait()
    await runner.stop()
    await owner.dispose()
    await app.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
