"""Reads asked in one event-loop tick, sent to PostgreSQL as one statement.

A request's loaders dispatch their batches in the same tick (an incident's comments and its
history; the users and the teams an entity fetch names), but a connection runs one
statement at a time, and asyncpg cannot pipeline: each read was a round trip of its own,
about 80 µs of the server's CPU on these machines (a write, a wake-up, a read) and more of
wall time. The request's scope (db/scope.py) queues the reads of a tick and sends them
together, as the parts of one ``UNION ALL``::

    SELECT 0, p.*, NULL, NULL FROM (<read 0>) AS p
    UNION ALL SELECT 1, NULL, p.* FROM (<read 1>) AS p     -- NULLs as wide as read 0

Each row carries its part's number and its values at the part's own columns, NULL at the
others' (PostgreSQL gives a NULL the type its column has in the other parts); each part
keeps its parameters, renumbered after the parts before it. A part's rows keep their order:
an ``Append`` returns each subquery's rows as the subquery yields them (under a ``Gather``
too, a subquery with its own order runs in one process), and the rows are dealt out to the
parts in the order they come. Rows decode in asyncpg's binary codecs as a part's alone do.

Two reads at most: PostgreSQL resolves a ``UNION``'s column types a pair of parts at a time,
and a column NULL in two parts is text by then (a third part's JSONB, say, no longer fits
it). Two parts, each column has its type in one of them.

One statement fails as a whole: a part that fails fails the others, as a failed statement
in a transaction fails every later one."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

# The reads of one merged statement at most (see above).
PARTS = 2
# A parameter ($1) outside the quoted literals and identifiers SQLAlchemy renders.
_PARAMETER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\d+)")


@functools.lru_cache(maxsize=512)
def merged_sql(parts: tuple[tuple[str, int, int], ...]) -> str:
    """The statement of ``parts``: each a read's SQL text, the number of its columns and of
    its parameters."""
    total = sum(width for _, width, _ in parts)
    selects = []
    before = offset = 0
    for number, (sql, width, parameters) in enumerate(parts):
        nulls_before = ", NULL" * before
        nulls_after = ", NULL" * (total - before - width)
        part = _renumbered(sql, offset)
        selects.append(f"SELECT {number}{nulls_before}, p.*{nulls_after} FROM ({part}) AS p")
        before += width
        offset += parameters
    return "\nUNION ALL ".join(selects)


def _renumbered(sql: str, offset: int) -> str:
    if not offset:
        return sql

    def renumber(match: re.Match[str]) -> str:
        number = match.group(1)
        return match.group(0) if number is None else f"${int(number) + offset}"

    return _PARAMETER.sub(renumber, sql)


def dealt(records: Sequence[Any], widths: Sequence[int]) -> list[list[tuple[Any, ...]]]:
    """Each part's rows, in the order they came, as tuples of its own columns."""
    bounds = []
    start = 1
    for width in widths:
        bounds.append((start, start + width))
        start += width
    parts: list[list[tuple[Any, ...]]] = [[] for _ in widths]
    for record in records:
        number = record[0]
        first, end = bounds[number]
        parts[number].append(record[first:end])
    return parts
