"""The problems domain's read model of incidents (`incident_facts`), kept by the consumer
`problems.incident-facts` from the incidents domain's events (DESIGN.md "Domains that need
each other"; contract of issue 20, section 3): number, title, category, configuration item,
status and when it was opened — what spotting problems and filtering a problem's incidents
need, never read from the incidents domain's tables.

The handler runs behind the event's tenant wall and leaves the commit to the runner.
Applying an event twice leaves the same row (a create is an upsert, an update sets the new
values), so the model is right even if an event came again. An update of an incident the
model never saw created (one seeded or written before the consumer existed) is skipped:
it has no number to start from; a rebuild (`reset`, then every retained event) starts from
an empty model. A create whose number is null is skipped too: the database numbers an
incident as its unit of work commits (db/numbering.py), and one deleted before then took no
number and, before incidents_0015 took its events with it, left them with a null one, which
outboxes keep; there is nothing to model (failing on it would stop the consumer there, for
every tenant)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.consumers import EventConsumer
from resolvers.events import Event
from subgraphs.problems import tables

Fact = tables.IncidentFact
CREATED = "incident.created"
KINDS = frozenset({CREATED, "incident.updated", "incident.status_changed"})
# The incident fields the model keeps: event `changes` name → column.
FIELDS = {"title": "title", "category": "category", "ciId": "ci_id", "status": "status"}


def _number(value: Any) -> int:
    """The incident's number from a payload: 1042, or "INC-1042"."""
    return int(str(value).rpartition("-")[2])


def _new_values(changes: dict[str, Any]) -> dict[str, Any]:
    """Column → new value of the kept fields an event's `changes` ({field: [old, new]}) set."""
    values = {
        column: changes[name][1]
        for name, column in FIELDS.items()
        if isinstance(changes.get(name), list) and len(changes[name]) == 2
    }
    if values.get("ci_id") is not None:
        values["ci_id"] = uuid.UUID(str(values["ci_id"]))
    return values


def _created(event: Event) -> dict[str, Any] | None:
    """The row a create event upserts; None for an incident gone before it was numbered."""
    number = event.payload.get("number")
    if number is None:
        return None
    return {
        "tenant_id": event.tenant_id,
        "incident_id": event.entity_id,
        "number": _number(number),
        "opened_at": event.occurred_at,
        "status": "OPEN",
        **_new_values(event.payload.get("changes") or {}),
    }


@cache
def _upsert(columns: tuple[str, ...]) -> Insert:
    """The upsert of a created incident's row of these columns (built once per set of
    columns; its values are the parameters)."""
    statement = insert(Fact)
    return statement.on_conflict_do_update(
        constraint="uq_incident_facts_incident",
        set_={name: statement.excluded[name] for name in columns if name != "tenant_id"},
    )


async def _upsert_created(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert created incidents' rows, those of the same columns in one statement: rows of
    distinct incidents, so their order does not matter."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    for columns, same in by_columns.items():
        await session.execute(_upsert(columns), same)


async def handle(session: AsyncSession, event: Event) -> None:
    if event.kind == CREATED:
        if (row := _created(event)) is not None:
            await _upsert_created(session, [row])
        return
    values = _new_values(event.payload.get("changes") or {})
    if values:
        await session.execute(
            update(Fact)
            .where(Fact.tenant_id == event.tenant_id, Fact.incident_id == event.entity_id)
            .values(**values)
        )


async def handle_many(session: AsyncSession, events: Sequence[Event]) -> None:
    """What `handle` does to each event in turn, a run of creates of distinct incidents
    (an alert storm's) upserted at once: under a burst, a statement per event was most of
    this consumer's work."""
    created: dict[uuid.UUID, dict[str, Any]] = {}  # by incident
    for event in events:
        if event.kind == CREATED and event.entity_id not in created:
            if (row := _created(event)) is not None:
                created[event.entity_id] = row
            continue
        await _upsert_created(session, list(created.values()))
        created = {}
        await handle(session, event)
    await _upsert_created(session, list(created.values()))


async def reset(session: AsyncSession) -> None:
    """Empty the model (of the tenant whose wall the session is behind) before a rebuild."""
    await session.execute(delete(Fact))


CONSUMER = EventConsumer(
    name="problems.incident-facts",
    domains=frozenset({"incidents"}),
    kinds=KINDS,
    handle=handle,
    reset=reset,
    # A burst of incidents (an alert storm) in a few transactions, not one each.
    handle_many=handle_many,
    per_transaction=100,
)
