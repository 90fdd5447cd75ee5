"""`opsgraph events status` and `opsgraph events replay NAME`: the event consumers of the
registered domains, as operators see and rebuild them (opsgraph/events/consumer_status.py)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from datetime import datetime

import orjson

from opsgraph.events.consumer_status import (
    ConsumerStatus,
    Positioned,
    ReplayRefused,
    consumer_statuses,
    replay,
)
from opsgraph.runtime import Runtime
from resolvers.consumers import EventConsumer

COLUMNS = ("CONSUMER", "POSITION", "LATEST", "LAG", "LAG SECONDS", "LAST HANDLED", "ERRORS")


async def status(runtime: Runtime, consumers: Sequence[Positioned], as_json: bool) -> int:
    """Print every consumer's status (the message bus export's among them when it is on): a
    table, or JSON (one object per consumer)."""
    runtime.open()
    try:
        assert runtime.owner_sessions is not None
        statuses = await consumer_statuses(runtime.owner_sessions, consumers)
    finally:
        await runtime.close()
    if as_json:
        print(orjson.dumps([dataclasses.asdict(s) for s in statuses]).decode())
    else:
        print(status_table(statuses))
    return 0


def status_table(statuses: Sequence[ConsumerStatus]) -> str:
    """The statuses as aligned columns, each consumer's last error (while it is failing) on a
    line below it."""
    if not statuses:
        return "(no event consumers)"
    rows = [COLUMNS, *(_cells(s) for s in statuses)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for row, current in zip(rows, [None, *statuses], strict=True):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if current is not None and current.consecutive_failures:
            lines.append(
                f"  failing {current.consecutive_failures}x on event {current.last_error_seq} "
                f"since {_time(current.last_error_at)}: {current.last_error}"
            )
    return "\n".join(lines)


def _cells(s: ConsumerStatus) -> tuple[str, ...]:
    name = s.name if s.declared else f"{s.name} (declared by no registered domain)"
    if s.position is None:
        return (name, "not started", str(s.latest_seq), "-", "-", "-", "-")
    return (
        name,
        str(s.position),
        str(s.latest_seq),
        str(s.lag_events),
        f"{s.lag_seconds:.1f}",
        _time(s.last_handled_at),
        str(s.error_count),
    )


def _time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "never"


async def replay_consumer(runtime: Runtime, consumers: Sequence[EventConsumer], name: str) -> int:
    """Rebuild one consumer's read model from the retained events; 2 when it cannot be."""
    found = {consumer.name: consumer for consumer in consumers}
    consumer = found.get(name)
    if consumer is None:
        known = ", ".join(sorted(found)) or "none"
        print(f"opsgraph: unknown event consumer {name!r}; known: {known}", file=sys.stderr)
        return 2
    runtime.open()
    try:
        assert runtime.owner_sessions is not None and runtime.sessions is not None
        position = await replay(consumer, runtime.owner_sessions, runtime.sessions)
    except ReplayRefused as refused:
        print(f"opsgraph: {refused}", file=sys.stderr)
        return 2
    finally:
        await runtime.close()
    print(
        f"{name}: read model reset, position {position}; the processes serving its domain "
        "rebuild it from the retained events"
    )
    return 0
