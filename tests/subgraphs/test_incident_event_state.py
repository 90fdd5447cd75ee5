"""Every incident event carries the incident's routing fields as they are after the change
(status, priority by name, teamId, assigneeId): created by the numbering statement, updated,
assigned, moved, commented. Webhook filters and other consumers route on them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import events
from tests.support import Subgraph

CREATE = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }"""


async def incident_events(owner_sessions: async_sessionmaker[AsyncSession], id: str) -> list[Any]:
    async with owner_sessions() as session:
        rows = await session.execute(
            select(events.OutboxEvent.kind, events.OutboxEvent.payload)
            .where(events.OutboxEvent.entity_id == uuid.UUID(id))
            .order_by(events.OutboxEvent.id)
        )
        return list(rows)


async def test_every_incident_event_carries_the_routing_fields(
    incidents: Subgraph, identity: Subgraph, owner_sessions: Any
) -> None:
    team = (await identity.ok('mutation { createTeam(input: {name: "Network"}) { id } }'))[
        "createTeam"
    ]["id"]
    user = (
        await identity.ok(
            'mutation { createUser(input: {name: "Nia", email: "nia@example.com"}) { id } }'
        )
    )["createUser"]["id"]
    created = await incidents.ok(
        CREATE, input={"title": "Core switch down", "impact": "HIGH", "urgency": "HIGH"}
    )
    id = created["createIncident"]["id"]
    await incidents.ok(
        "mutation($id: ID!, $team: ID!) { updateIncident(id: $id, input: {teamId: $team, "
        "impact: MEDIUM}) { id } }",
        id=id,
        team=team,
    )
    await incidents.ok(
        "mutation($id: ID!, $user: ID!) { assignIncident(id: $id, userId: $user) { id } }",
        id=id,
        user=user,
    )
    await incidents.ok(
        "mutation($id: ID!) { transitionIncident(id: $id, input: {status: IN_PROGRESS}) "
        "{ toStatus } }",
        id=id,
    )
    found = await incident_events(owner_sessions, id)
    routing = [
        (kind, p["status"], p["priority"], p["teamId"], p["assigneeId"]) for kind, p in found
    ]
    assert routing == [
        ("incident.created", "OPEN", "CRITICAL", None, None),
        ("incident.updated", "OPEN", "HIGH", team, None),
        ("incident.assigned", "OPEN", "HIGH", team, user),
        ("incident.status_changed", "IN_PROGRESS", "HIGH", team, user),
    ]
    assert found[1].payload["changes"]["priority"] == ["CRITICAL", "HIGH"]
