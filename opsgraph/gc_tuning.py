"""The garbage collector's settings for a long-running server process.

After start-up the process holds a large, long-lived heap (schemas, plans, SQLAlchemy's
and graphql-core's structures) that CPython's cyclic collector would otherwise traverse in
every full collection, while requests allocate thousands of short-lived objects. Freezing
the start-up heap takes it out of every collection for good, at no cost in memory.

A higher young-generation threshold makes collections rarer still. Requests free what they
allocate by reference counting (a test holds a page to fewer than 50 cyclic objects; it was
over 2,000 when a request's loaders formed a cycle with its context), so a rare collection
finds little to free and memory does not grow: the server runs at 50,000
(OPSGRAPH_GC_THRESHOLD) instead of Python's 700, which had it collecting about three
times per page. A young collection traverses the objects allocated since the last one that
are still alive — what requests in flight hold — so the rarer collections are, the fewer of
those it traverses again and again: a CMDB blast radius (about 100,000 objects alive at its
peak) spent 12.7 ms per request collecting at 10,000 and 4.5 ms at 50,000 (bench.cmdb p50
106-121 -> 87-90 ms); 200,000 gained nothing more."""

from __future__ import annotations

import gc


def tune_garbage_collector(threshold: int = 0) -> None:
    """Freeze what exists now; with ``threshold`` > 0, collect the young generation every
    ``threshold`` allocations."""
    gc.collect()
    gc.freeze()
    if threshold > 0:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold, older, oldest)
