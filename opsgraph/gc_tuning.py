"""The garbage collector's settings for a long-running server process.

After start-up the process holds a large, long-lived heap (schemas, plans, SQLAlchemy's
and graphql-core's structures) that CPython's cyclic collector would otherwise traverse in
every full collection, while requests allocate thousands of short-lived objects. Freezing
the start-up heap takes it out of every collection for good, at no cost in memory.

Requests free what they allocate by reference counting (a test holds a page to fewer than
50 cyclic objects; it was over 2,000 when a request's loaders formed a cycle with its
context), so a collection finds little to free; what it costs is the objects it traverses:
a young collection traverses every object allocated since the last one that is still
alive, which is what the requests in flight hold. Python collects after every 700 net
allocations; the server used to raise that to 50,000, and a CMDB blast radius (about
100,000 objects alive at its peak) still went through a young collection per request, and
a middle one every ten: 6-7 ms of its 74-79 ms went to the collector (bench.cmdb prints the
collector's time per request).

So collections come by the clock, not by allocations (:class:`CollectionPacer`, ticked by
the server's main loop, opsgraph/serving.py): every ``OPSGRAPH_GC_INTERVAL_SECONDS`` the
young and middle generations, every sixth time all of them. The allocation threshold
(``OPSGRAPH_GC_THRESHOLD``, a million by default) stays as a bound for what no tick has
collected yet, far above what requests hold at once. Between ticks, cyclic garbage waits:
at a few objects per request that is a few megabytes at most, and a request in flight is
traversed once per interval instead of once per 50,000 allocations it makes."""

from __future__ import annotations

import gc
from collections.abc import Callable

FULL_EVERY = 6  # ticks that collect: every sixth collects every generation


def tune_garbage_collector(threshold: int = 0) -> None:
    """Freeze what exists now; with ``threshold`` > 0, collect the young generation every
    ``threshold`` allocations."""
    gc.collect()
    gc.freeze()
    if threshold > 0:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold, older, oldest)


class CollectionPacer:
    """Collections every ``interval`` seconds of ``clock`` (None: never, Python's own
    thresholds decide): :meth:`tick` is called often (the server's main loop: ten times a
    second) and collects when the interval has passed since the last collection, the
    young and middle generations, or every generation every ``FULL_EVERY``-th time."""

    def __init__(self, interval: float | None, clock: Callable[[], float]) -> None:
        self.interval = interval
        self._clock = clock
        self._next = clock() + interval if interval else 0.0
        self._collections = 0

    def tick(self) -> int | None:
        """Collect if it is time: the oldest generation collected, or None."""
        if not self.interval:
            return None
        now = self._clock()
        if now < self._next:
            return None
        self._next = now + self.interval
        self._collections += 1
        generation = 2 if self._collections % FULL_EVERY == 0 else 1
        gc.collect(generation)
        return generation
