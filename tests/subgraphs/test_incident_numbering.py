"""Incident numbers against real PostgreSQL: the database numbers an incident as its unit of
work commits (db/numbering.py), so a create does not wait for another's unit of work, and
numbers stay gapless and unique per tenant however concurrent creates fail (issue 17)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import delete, select

from db.scope import walled_unit_of_work
from db.tables import events
from db.tenants import create_tenant
from resolvers.errors import Conflict
from subgraphs.incidents import service, tables
from tests.support import Subgraph, event_numbers

CREATE = 'mutation { createIncident(input: {title: "Disk full"}) { id number } }'


async def committed(owner_sessions: Any, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The tenant's incident numbers, its counter and its `incident.created` payloads."""
    async with owner_sessions() as session:
        numbers = list(
            await session.scalars(
                select(tables.Incident.number).where(tables.Incident.tenant_id == tenant_id)
            )
        )
        counter = await session.scalar(
            select(tables.IncidentNumber.last_number).where(
                tables.IncidentNumber.tenant_id == tenant_id
            )
        )
        payloads = list(
            await session.scalars(
                select(events.OutboxEvent.payload).where(
                    events.OutboxEvent.tenant_id == tenant_id,
                    events.OutboxEvent.kind == "incident.created",
                )
            )
        )
        ids = {
            str(row.id): row.number
            for row in await session.execute(
                select(tables.Incident.id, tables.Incident.number).where(
                    tables.Incident.tenant_id == tenant_id
                )
            )
        }
    return {"numbers": numbers, "counter": counter, "payloads": payloads, "ids": ids}


async def test_numbers_stay_gapless_when_units_of_work_fail_after_inserting(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """24 concurrent units of work each insert an incident; every third then fails (a second
    create in it conflicts on externalId) and rolls back, after its first incident was
    inserted. The committed numbers are 1..n, each once, and every committed incident has its
    one `incident.created` event carrying its number."""

    def new(title: str, external_id: str | None = None) -> service.PreparedIncident:
        incident = service.NewIncident(title=title, external_id=external_id)
        return service.prepare_incident(tenant_id, incident, None)

    async def create(*incidents: service.PreparedIncident) -> list[str] | None:
        try:
            async with walled_unit_of_work(sessions, tenant_id) as session:
                for incident in incidents:
                    assert (await service.insert_incident(session, incident)).number is None
            return [str(incident.id) for incident in incidents]
        except Conflict:
            return None

    taken = await create(new("taken", "alert-1"))
    outcomes = await asyncio.gather(
        *(
            create(new(f"n{i}"), new("again", "alert-1")) if i % 3 == 0 else create(new(f"n{i}"))
            for i in range(24)
        )
    )

    assert [i for i, ids in enumerate(outcomes) if ids is None] == list(range(0, 24, 3))
    state = await committed(owner_sessions, tenant_id)
    assert taken is not None and state["ids"][taken[0]] == 1
    assert sorted(state["numbers"]) == list(range(1, 24 - 8 + 2))  # 16 creates and "taken"
    assert state["counter"] == 17
    created = sorted(state["ids"][id] for ids in outcomes if ids for id in ids)
    assert created == list(range(2, 18))
    assert sorted((p["id"], p["number"]) for p in state["payloads"]) == sorted(state["ids"].items())


async def test_an_incident_deleted_before_its_commit_takes_no_number(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    incident = service.prepare_incident(tenant_id, service.NewIncident(title="gone"), None)
    async with walled_unit_of_work(sessions, tenant_id) as session:
        await service.insert_incident(session, incident)
        await session.execute(delete(tables.Incident).where(tables.Incident.id == incident.id))
    assert (await committed(owner_sessions, tenant_id))["counter"] is None


async def test_an_incident_deleted_before_its_commit_takes_its_events_with_it(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """It never existed outside its transaction: nobody is told it was created (its event
    stayed, its number null, and stopped the problems domain's read model). One kept beside
    it in the same unit of work keeps its event, numbered."""
    gone = service.prepare_incident(tenant_id, service.NewIncident(title="gone"), None)
    kept = service.prepare_incident(tenant_id, service.NewIncident(title="kept"), None)
    async with walled_unit_of_work(sessions, tenant_id) as session:
        await service.insert_incident(session, gone)
        await service.insert_incident(session, kept)
        await session.execute(delete(tables.Incident).where(tables.Incident.id == gone.id))
    state = await committed(owner_sessions, tenant_id)
    assert [(p["id"], p["number"]) for p in state["payloads"]] == [(str(kept.id), 1)]


async def test_every_event_of_the_unit_of_work_gets_the_number(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """An incident created and changed in one unit of work (an alert that fires and resolves
    in one notification, say): the change's event, written before the commit numbered the
    incident, carries the number too."""
    incident = service.prepare_incident(tenant_id, service.NewIncident(title="flap"), None)
    async with walled_unit_of_work(sessions, tenant_id) as session:
        await service.insert_incident(session, incident)
        update = service.IncidentUpdate(title="flapping")
        await service.update_incident(session, tenant_id, incident.id, update, None)
    assert await event_numbers(owner_sessions, incident.id) == [
        ("incident.created", 1),
        ("incident.updated", 1),
    ]


async def test_tenants_number_concurrent_creates_apart(
    new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID, incidents: Subgraph
) -> None:
    """Creates of two tenants interleave: each tenant counts from 1 without gaps, behind its
    own wall (its own counter row, its own lock)."""
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"other-{uuid.uuid4().hex[:8]}", "Other")

    async def create(tenant: uuid.UUID) -> None:
        context = new_context(tenant)
        try:
            await incidents.ok(CREATE, context)
        finally:
            await context.close()  # its turn at the pool goes to the next request

    await asyncio.gather(*(create(tenant_id if i % 2 else other) for i in range(20)))
    for tenant in (tenant_id, other):
        state = await committed(owner_sessions, tenant)
        assert sorted(state["numbers"]) == list(range(1, 11))
        assert state["counter"] == 10


async def test_creates_are_numbered_as_they_commit(
    sessions: Any, tenant_id: uuid.UUID, incidents: Subgraph, statements: Any
) -> None:
    """The tenant's counter is the commit's business: no statement the application sends
    touches it, and a create committing while an earlier insert's unit of work is still open
    does not wait for it — it takes the next number, the earlier insert the one after."""
    await incidents.ok(CREATE)  # the first create of a tenant inserts its counter row
    statements.reset()
    data = await incidents.ok(CREATE)
    assert data["createIncident"]["number"] == "INC-2"
    assert not [sql for sql in statements.statements if "incident_numbers" in sql]

    async with walled_unit_of_work(sessions, tenant_id) as session:
        open_row = await service.insert_incident(
            session,
            service.prepare_incident(tenant_id, service.NewIncident(title="open"), None),
        )
        # Held open across a whole create of the same tenant (a bound, not a timing: the
        # create waited for this commit before, for ever).
        later = await asyncio.wait_for(incidents.ok(CREATE), timeout=60)
        assert later["createIncident"]["number"] == "INC-3"
    reread = await incidents.ok(
        "query ($id: ID!) { incident(id: $id) { number } }", id=str(open_row.id)
    )
    assert reread["incident"]["number"] == "INC-4"
