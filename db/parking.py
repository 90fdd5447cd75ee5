"""Connections a request has finished with, kept a moment for the next request.

A read request's transaction used to end in a round trip of its own (``ROLLBACK``) as the
request closed, and the next request to take the connection began its own in another
(``BEGIN`` and the wall): two round trips, and the pool's check-in and check-out, between
two requests' reads. A pool whose engine parks (:func:`park_connections`) keeps the
connection a request closes with (its transaction, a read one, still open) for
``PARK_SECONDS``: the next request of the process takes it and ends that transaction in
the round trip beginning its own (``ROLLBACK; BEGIN ...; SELECT set_config(...)``, one
simple query, so the old wall is gone before the new one is set; db/scope.py). One not
taken by then is rolled back and returned to the pool, so no transaction stays open (a
snapshot held back from vacuum, locks a migration would wait for) longer than that.

A parked connection stays checked out of SQLAlchemy's pool, and only request databases
(``RequestDatabase``) take parked connections; others (a metrics scrape, a WebSocket's
connection record, job workers) check theirs out of the pool, and nothing says whether one
waits there. While the pool has room besides the connection, nobody can be waiting. At
its limit (as many requests in flight as it has connections) one connection in
``RETURN_EVERY`` that requests close with goes back to the pool instead: one waiting there
is served within that many requests' ends, and otherwise the next request checks it out
again, as every request did before. Parking is per event loop, as the pool's gate
(``connection_gate``) is.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.failures import is_connection_failure

logger = logging.getLogger(__name__)

# Long enough to reach the next request of a busy server (under load one is waiting at the
# gate already; one client's next request comes a fraction of a millisecond after its
# answer), short against what a transaction left open holds back.
PARK_SECONDS = 0.05
# At the pool's limit, one connection in this many goes back to the pool (the docstring).
RETURN_EVERY = 4


@dataclass(slots=True, eq=False)
class Parked:
    """A connection waiting for the next request: its driver connection, and the timer that
    returns it to the pool."""

    connection: AsyncConnection
    driver: Any
    timer: asyncio.TimerHandle | None = None


class Parking:
    """The connections parked on one pool in one event loop, the last parked taken first."""

    def __init__(self, pool: Any, seconds: float = PARK_SECONDS) -> None:
        self._pool = pool
        overflow = getattr(pool, "_max_overflow", -1)
        # The connections the pool may hand out at once (None: no bound).
        self._capacity = pool.size() + overflow if overflow >= 0 else None
        self._seconds = seconds
        self._parked: list[Parked] = []
        self._returning: set[asyncio.Task[None]] = set()
        self._at_limit = 0  # connections parked in a row at the pool's limit

    def park(self, connection: AsyncConnection, driver: Any) -> bool:
        """Park ``connection``, unless the pool is at its limit and it is this one's turn to
        go back to the pool (the module's docstring)."""
        if self._capacity is not None and self._pool.checkedout() >= self._capacity:
            self._at_limit += 1
            if self._at_limit >= RETURN_EVERY:
                self._at_limit = 0
                return False
        else:
            self._at_limit = 0
        parked = Parked(connection, driver)
        parked.timer = asyncio.get_running_loop().call_later(self._seconds, self._expire, parked)
        self._parked.append(parked)
        return True

    def take(self) -> Parked | None:
        """The connection parked last, if any, no longer parked."""
        if not self._parked:
            return None
        parked = self._parked.pop()
        if parked.timer is not None:
            parked.timer.cancel()
        return parked

    def _expire(self, parked: Parked) -> None:
        if parked in self._parked:
            self._parked.remove(parked)
            task = asyncio.get_running_loop().create_task(_returned(parked))
            self._returning.add(task)
            task.add_done_callback(self._returning.discard)

    async def release(self) -> None:
        """Return every parked connection to the pool now (the engine is being disposed of)."""
        while (parked := self.take()) is not None:
            await _returned(parked)
        if self._returning:
            await asyncio.gather(*self._returning, return_exceptions=True)


async def _returned(parked: Parked) -> None:
    """End the transaction the connection was parked in and return it to the pool; one the
    server dropped meanwhile is invalidated (the pool replaces it)."""
    connection, driver = parked.connection, parked.driver
    try:
        if not driver.is_closed() and driver.is_in_transaction():
            await driver.execute("ROLLBACK")
    except Exception as error:
        if not (is_connection_failure(error) or driver.is_closed()):
            logger.exception("Rolling back a parked connection failed")
        await connection.invalidate(error)
    finally:
        await connection.close()


# Per engine that parks: per event loop, its parking.
_PARKINGS: weakref.WeakKeyDictionary[
    Any, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Parking]
] = weakref.WeakKeyDictionary()


def park_connections(engine: AsyncEngine) -> None:
    """Let request databases on ``engine`` park the connections they close with."""
    _PARKINGS.setdefault(engine.sync_engine, weakref.WeakKeyDictionary())


def parking(engine: AsyncEngine) -> Parking | None:
    """The running loop's parking on ``engine``, None if the engine does not park."""
    per_loop = _PARKINGS.get(engine.sync_engine)
    if per_loop is None:
        return None
    loop = asyncio.get_running_loop()
    found = per_loop.get(loop)
    if found is None:
        found = per_loop[loop] = Parking(engine.sync_engine.pool, PARK_SECONDS)
    return found


async def release_parked(engine: AsyncEngine) -> None:
    """Return the connections parked on ``engine`` in the running loop to its pool."""
    per_loop = _PARKINGS.get(engine.sync_engine)
    found = per_loop.get(asyncio.get_running_loop()) if per_loop is not None else None
    if found is not None:
        await found.release()
