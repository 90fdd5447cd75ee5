"""Incident numbers against real PostgreSQL: one statement numbers and inserts a create, as
the last of its unit of work, and numbers stay gapless and unique per tenant however
concurrent creates fail (issue 17)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from db.tables import events
from db.tenants import create_tenant
from resolvers.errors import Conflict
from subgraphs.incidents import service, tables
from tests.support import Subgraph

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


async def test_numbers_stay_gapless_when_units_of_work_fail_after_numbering(
    new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """24 concurrent units of work each number and insert an incident; every third then
    fails (a second create in it conflicts on externalId) and rolls back, after its first
    number was taken. The committed numbers are 1..n, each once, and every committed
    incident has its one `incident.created` event carrying its number."""

    def new(title: str, external_id: str | None = None) -> service.PreparedIncident:
        incident = service.NewIncident(title=title, external_id=external_id)
        return service.prepare_incident(tenant_id, incident, None)

    async def create(*incidents: service.PreparedIncident) -> list[int] | None:
        context = new_context()
        try:
            async with context.db.unit_of_work() as session:
                return [
                    (await service.insert_incident(session, incident)).number
                    for incident in incidents
                ]
        except Conflict:
            return None
        finally:
            await context.close()

    assert await create(new("taken", "alert-1")) == [1]
    outcomes = await asyncio.gather(
        *(
            create(new(f"n{i}"), new("again", "alert-1")) if i % 3 == 0 else create(new(f"n{i}"))
            for i in range(24)
        )
    )

    assert [i for i, numbers in enumerate(outcomes) if numbers is None] == list(range(0, 24, 3))
    state = await committed(owner_sessions, tenant_id)
    assert sorted(state["numbers"]) == list(range(1, 24 - 8 + 2))  # 16 creates and "taken"
    assert state["counter"] == 17
    assert sorted(n for numbers in outcomes if numbers for n in numbers) == list(range(2, 18))
    assert sorted((p["id"], p["number"]) for p in state["payloads"]) == sorted(state["ids"].items())


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


async def test_create_takes_the_number_lock_in_its_last_statement(
    incidents: Subgraph, statements: Any
) -> None:
    """The counter row stays locked until the commit: the statement that takes it comes last
    in the unit of work, after the audit record, so concurrent creates wait for one
    statement and a commit, not for the whole mutation."""
    await incidents.ok(CREATE)  # the first create of a tenant inserts its counter row
    statements.reset()
    data = await incidents.ok(CREATE)
    assert data["createIncident"]["number"] == "INC-2"
    sent = statements.statements  # the request's, up to its COMMIT
    numbering = [i for i, sql in enumerate(sent) if "incidents.incident_numbers" in sql]
    assert numbering == [len(sent) - 1], sent
    assert any(sql.startswith("INSERT INTO audit.entries") for sql in sent[:-1]), sent
