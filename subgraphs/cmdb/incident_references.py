"""The CMDB's read model of which incidents name which configuration items
(`incident_references`), kept by the consumer `cmdb.incident-references` from the incidents
domain's events (DESIGN.md "Domains that need each other"): the CMDB may not read the
incidents' tables, yet "delete only when nothing refers to it" must see incidents.

The incidents domain's `incident.created` and `incident.updated` events carry, in their
`changes`, the incident's CI (`ciId: [old, new]`) and its whole list of affected CIs
(`affectedCiIds: [old, new]`) whenever either is set or changed. Each such field replaces
what the model holds for the incident in that role, so applying an event twice (or replaying
every event from the start) leaves the same rows. Any incident counts, open or closed: an
incident keeps naming its CI after it closes.

The model is asynchronous: it lags the incidents' commits by the consumer's delivery (the
serving process's runner wakes on each event; a few milliseconds, up to its poll interval
when the event arrives from another process; `opsgraph events status` shows the lag). Within
that window, or while the consumer is stopped, a CI named by a just-written incident can
still be deleted; the incident's reference then resolves to null, as before. A rebuild
(`opsgraph events replay cmdb.incident-references`: `reset`, then every retained event)
knows only the incidents whose CI references were set within the event retention
(OPSGRAPH_EVENT_RETENTION_HOURS)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.consumers import EventConsumer, in_turn
from resolvers.events import Event
from subgraphs.cmdb import tables

Reference = tables.IncidentReference
KINDS = frozenset({"incident.created", "incident.updated"})
# The `changes` fields that name CIs → the role their CIs have.
ROLES = {"ciId": "CI", "affectedCiIds": "AFFECTED"}


def _named(value: Any) -> list[uuid.UUID]:
    """The CI ids a field's new value names: one id, a list of them, or none (null)."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(uuid.UUID(str(id)) for id in values))


async def handle(session: AsyncSession, event: Event) -> None:
    changes = event.payload.get("changes") or {}
    for field, role in ROLES.items():
        change = changes.get(field)
        if not (isinstance(change, list) and len(change) == 2):
            continue  # the event leaves this role's CIs as they are
        mine = (
            Reference.tenant_id == event.tenant_id,
            Reference.incident_id == event.entity_id,
            Reference.role == role,
        )
        await session.execute(delete(Reference).where(*mine))
        named = _named(change[1])
        if named:
            await session.execute(
                insert(Reference).on_conflict_do_nothing(),
                [
                    {
                        "tenant_id": event.tenant_id,
                        "incident_id": event.entity_id,
                        "ci_id": ci_id,
                        "role": role,
                    }
                    for ci_id in named
                ],
            )


async def reset(session: AsyncSession) -> None:
    """Empty the model (of the tenant whose wall the session is behind) before a rebuild."""
    await session.execute(delete(Reference))


async def incidents_naming(session: AsyncSession, tenant_id: uuid.UUID, ci_id: uuid.UUID) -> int:
    """How many incidents the model knows to name the CI (as `ci` or among `affectedCis`)."""
    count = await session.scalar(
        select(func.count(func.distinct(Reference.incident_id))).where(
            Reference.tenant_id == tenant_id, Reference.ci_id == ci_id
        )
    )
    return int(count or 0)


CONSUMER = EventConsumer(
    name="cmdb.incident-references",
    domains=frozenset({"incidents"}),
    kinds=KINDS,
    handle=handle,
    reset=reset,
    # A burst of incidents (an alert storm) in a few transactions, not one each.
    handle_many=in_turn(handle),
    per_transaction=100,
)
