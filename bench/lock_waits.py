"""How many of the bench database's backends wait on a row or table lock, sampled while a
measurement runs. The write scenario's creates queue on their tenant's number counter for
as long as a commit takes (db/numbering.py: numbers are handed out at commit; they used to
queue from the insert until the COMMIT came back from a busy event loop, five backends
waiting on average at 16 clients). The average says how much of the write scenario's
latency is such a queue rather than CPU."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

import asyncpg

INTERVAL = 0.02  # seconds between samples
# Row and table locks: the advisory lock that serialises stamping the outbox (the relay's
# and the consumers' background rounds) is not a request's wait.
WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_type = 'client backend' AND wait_event_type = 'Lock' "
    "AND wait_event <> 'advisory'"
)


class LockWaits:
    """`with LockWaits(url) as waits:` samples in a thread of its own until the block ends;
    then `waits.average` is the mean number of backends waiting on a lock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lock-waits", daemon=True)

    @property
    def average(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                self.samples.append(int(await connection.fetchval(WAITING)))
                await asyncio.sleep(INTERVAL)
        finally:
            await connection.close()
