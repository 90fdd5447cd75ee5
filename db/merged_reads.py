"""Reads asked in one event-loop tick, sent to PostgreSQL as one statement.

A request's loaders dispatch their batches in the same tick (an incident's comments and its
history; the users and the teams an entity fetch names), but a connection runs one
statement at a time, and asyncpg cannot pipeline: each read was a round trip of its own,
about 80 µs of the server's CPU on these machines (a write, a wake-up, a read) and more of
wall time. The request's scope (db/scope.py) queues the reads of a tick and sends them
together, as the parts of one ``UNION ALL``::

    SELECT 0, p.*, NULL, t2.* FROM (<read 0>) AS p LEFT JOIN (<read 2>) AS t2 ON false
    UNION ALL SELECT 1, NULL, p.*, NULL FROM (<read 1>) AS p  -- NULLs as wide as each read
    UNION ALL SELECT 2, NULL, NULL, p.* FROM (<read 2>) AS p

Each row carries its part's number and its values at the part's own columns, NULL at the
others'; each part keeps its parameters, renumbered after the parts before it. A part's
rows keep their order: an ``Append`` returns each subquery's rows as the subquery yields
them (under a ``Gather`` too, a subquery with its own order runs in one process), and the
rows are dealt out to the parts in the order they come. Rows decode in asyncpg's binary
codecs as a part's alone do.

PostgreSQL types a ``UNION``'s columns a pair of parts at a time, left to right, and gives a
NULL the type its column has in the other part of the pair; a column NULL in both is text
by then, which a later part's JSONB, say, does not fit. So the first part also joins the
parts from the third on, each ``ON false``: every column of the first part has its type,
and the planner replaces a relation joined on false with an empty one, which it never
runs (``One-Time Filter: false``).

One statement fails as a whole: a part that fails fails the others, as a failed statement
in a transaction fails every later one."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

# A parameter ($1) outside the quoted literals and identifiers SQLAlchemy renders.
_PARAMETER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\d+)")


@functools.lru_cache(maxsize=512)
def merged_sql(parts: tuple[tuple[str, int, int], ...]) -> str:
    """The statement of ``parts``: each a read's SQL text, the number of its columns and of
    its parameters."""
    texts = []
    offset = 0
    for sql, _, parameters in parts:
        texts.append(_renumbered(sql, offset))
        offset += parameters
    selects = []
    for number, text in enumerate(texts):
        columns = []
        source = f"({text}) AS p"
        for other, (_, width, _) in enumerate(parts):
            if other == number:
                columns.append("p.*")
            elif number == 0 and other >= 2:  # typed by a join that never runs
                columns.append(f"t{other}.*")
                source += f" LEFT JOIN ({texts[other]}) AS t{other} ON false"
            else:
                columns.extend(["NULL"] * width)
        selects.append(f"SELECT {number}, {', '.join(columns)} FROM {source}")
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
