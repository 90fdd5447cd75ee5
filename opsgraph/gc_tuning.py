"""The garbage collector's settings for a long-running server process.

After start-up the process holds a large, long-lived heap (schemas, plans, SQLAlchemy's
and graphql-core's structures) that CPython's cyclic collector would otherwise re-scan
again and again, while a request allocates thousands of short-lived objects, each batch of
700 triggering a collection: under load that cost a quarter of the CPU. Freezing the start-up
heap takes it out of every collection; a higher first-generation threshold makes collections
rarer. Memory stays bounded: the collector still runs, only less often (the bench's soak run
watches RSS)."""

from __future__ import annotations

import gc


def tune_garbage_collector(threshold: int) -> None:
    """Freeze what exists now and collect the young generation every ``threshold``
    allocations (0: leave Python's defaults)."""
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(threshold, older, oldest)
