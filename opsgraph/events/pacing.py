"""How the background loops over the outbox (event consumers, the message bus export) wait
between rounds: until their poll interval ends, or at once when a new event wakes them or
they are stopped; after failures, with a back-off doubling from `FIRST_BACKOFF` up to their
`max_backoff`."""

from __future__ import annotations

import asyncio
import contextlib

FIRST_BACKOFF = 0.1  # seconds before the first retry, doubled per failure


class PacedLoop:
    def __init__(self, max_backoff: float) -> None:
        self.max_backoff = max_backoff
        self._stopping = False
        self._wake = asyncio.Event()

    def _backoff(self, failures: int) -> float:
        return min(self.max_backoff, FIRST_BACKOFF * 2 ** min(failures - 1, 16))

    async def _pause(self, seconds: float, wakeable: bool) -> None:
        """Sleep `seconds`, or until woken by an event (`wakeable`) or by `stop()`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._stopping:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._wake.wait()
            if wakeable:
                return
            self._wake.clear()
