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

So young collections come by the clock as well (:class:`CollectionPacer`, ticked by the
server's main loop, opsgraph/serving.py): every ``OPSGRAPH_GC_INTERVAL_SECONDS`` the young
generation is collected, and the allocation threshold (``OPSGRAPH_GC_THRESHOLD``) is
200,000, above what a blast radius holds at once: requests are traversed once per
interval, not once per 50,000 allocations they make. The threshold still promotes what a
burst makes to stay (a thousand WebSocket subscriptions connecting) in steps, and the older
generations are left to Python's own rules: a tick that collected the middle generation too
traversed those thousand subscriptions again, a pause that put the wallboard's p99 at 170
ms (bench --subscriptions), 77 ms with the young generation alone. Between ticks, cyclic
garbage waits: at a few objects per request, a few megabytes at most (a 60 s soak of pages
grows RSS by 3 MB; with the threshold alone, no ticks, by 27 MB).

A collection that is due waits for a moment no HTTP request is in flight (the server's
outermost app counts them: :meth:`CollectionPacer.started`, :meth:`CollectionPacer.finished`)
and is made then, when almost nothing is alive: in the middle of a blast radius a young
collection took 3-20 ms of that request (5,317 nodes), made after it 0.01 ms. A server that is
never idle (a steady load) still collects once a collection has waited another interval."""

from __future__ import annotations

import gc
from collections.abc import Callable


def tune_garbage_collector(threshold: int = 0) -> None:
    """Freeze what exists now; with ``threshold`` > 0, collect the young generation every
    ``threshold`` allocations."""
    gc.collect()
    gc.freeze()
    if threshold > 0:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold, older, oldest)


class CollectionPacer:
    """Young collections every ``interval`` seconds of ``clock`` (None: never, Python's
    thresholds alone decide), made while no request is in flight: :meth:`tick` is called
    often (the server's main loop: ten times a second), :meth:`started` and :meth:`finished`
    around every request; a collection due is made by the first of them to find the server
    idle, or by a tick once it has waited another interval."""

    def __init__(self, interval: float | None, clock: Callable[[], float]) -> None:
        self.interval = interval
        self._clock = clock
        self._next = clock() + interval if interval else 0.0
        self.in_flight = 0

    def started(self) -> None:
        self.in_flight += 1

    def finished(self) -> bool:
        """A request has ended: collect if it was the last in flight and a collection is
        due; whether it did."""
        self.in_flight -= 1
        return not self.in_flight and self._collect(overdue_only=False)

    def tick(self) -> bool:
        """Collect if one is due and no request is in flight, or it is overdue; whether it
        did."""
        return self._collect(overdue_only=bool(self.in_flight))

    def _collect(self, *, overdue_only: bool) -> bool:
        if not self.interval:
            return False
        now = self._clock()
        if now < self._next + (self.interval if overdue_only else 0.0):
            return False
        self._next = now + self.interval
        gc.collect(0)
        return True
