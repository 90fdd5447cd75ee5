"""The background loops over the outbox (event consumers, the message bus export): started
with the process, woken by new events, stopped with it. Between rounds they wait until their
poll interval ends, or at once when an event wakes them or they are stopped; after failures,
with a back-off doubling from `FIRST_BACKOFF` up to their `max_backoff`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from opsgraph.events.hub import EventHub
from opsgraph.telemetry.tracing import without_statement_spans
from resolvers.events import Event

log = logging.getLogger(__name__)

FIRST_BACKOFF = 0.1  # seconds before the first retry, doubled per failure
STOP_TIMEOUT = 10.0  # seconds stop() waits for the round in flight


class PacedLoop(ABC):
    def __init__(self, max_backoff: float) -> None:
        self.max_backoff = max_backoff
        self._stopping = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    @abstractmethod
    def task_name(self) -> str:
        """The background task's name (and the loop's in logs)."""

    @abstractmethod
    async def _run(self) -> None:
        """The rounds, until `_stopping`."""

    def wake(self, event: Event | None = None) -> None:
        """Look for new events now (a hub observer: `hub.observe(loop.wake)`)."""
        self._wake.set()

    def start(self, hub: EventHub | None = None) -> None:
        """Run in the background, woken by `hub`'s events (and the poll timer)."""
        if hub is not None:
            hub.observe(self.wake)
        self._task = asyncio.create_task(without_statement_spans(self._run()), name=self.task_name)

    async def stop(self) -> None:
        """Let the round in flight finish (up to STOP_TIMEOUT, then cancel it)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, STOP_TIMEOUT)
            except TimeoutError:
                log.warning("%s did not stop in time; cancelled", self.task_name)

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
