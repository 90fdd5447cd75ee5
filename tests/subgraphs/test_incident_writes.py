"""createIncident and assignIncident through the router, as the bench's write scenario sends
them: the round trips each takes to PostgreSQL (issue 17), and what assignIncident's one
statement records."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import audit, events
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from router.gateway import Gateway
from subgraphs.incidents import tables
from tests.conftest import round_trips

Sessions = async_sessionmaker[AsyncSession]
CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number } }"""
ASSIGN = """mutation($id: ID!, $user: ID!) {
  assignIncident(id: $id, userId: $user) { number assignee { name } } }"""


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


@pytest.fixture
async def people(owner_sessions: Sessions, tenant_id: uuid.UUID) -> AsyncIterator[dict[str, str]]:
    """Two users and a team of the test's tenant."""
    made = {"ann": uuid.uuid4(), "bob": uuid.uuid4(), "team": uuid.uuid4()}
    async with owner_sessions() as session, session.begin():
        for name in ("ann", "bob"):
            await session.execute(
                text(
                    "INSERT INTO identity.users (id, tenant_id, name, email, active, roles) "
                    "VALUES (:id, :tenant, :name, :email, true, '{operator}')"
                ),
                {
                    "id": made[name],
                    "tenant": tenant_id,
                    "name": name,
                    "email": f"{name}@example.com",
                },
            )
        await session.execute(
            text("INSERT INTO identity.teams (id, tenant_id, name) VALUES (:id, :tenant, 'NOC')"),
            {"id": made["team"], "tenant": tenant_id},
        )
    yield {name: str(id) for name, id in made.items()}


async def request(
    gateway: Gateway, sessions: Sessions, tenant: uuid.UUID, query: str, **variables: Any
) -> dict[str, Any]:
    """One request through the router, in a context of its own (as the server runs it)."""
    context = Context.open(
        sessions,
        principal=REGISTRY.roles.principal(tenant, frozenset({"admin"})),
        entity_presence=gateway.entity_presence,
    )
    try:
        body = await gateway.execute(query, variables, None, context)
    finally:
        await context.close()
    assert not body.get("errors"), body["errors"]
    return body["data"]  # type: ignore[no-any-return]


async def test_create_and_assign_take_eight_and_five_round_trips(
    gateway: Gateway, one_connection: Sessions, tenant_id: uuid.UUID, people: dict[str, str]
) -> None:
    """createIncident: BEGIN with the wall, the tenant's custom fields, the team's
    existence, then in the same transaction the insert, the audit record, and COMMIT (which
    numbers the incident) with the BEGIN of the read of its number, that read, ROLLBACK.
    assignIncident: BEGIN with the wall, the user's existence (read whole), the one
    assigning statement, the audit record, COMMIT; the assignee's name comes from the
    loader."""
    create = {"title": "Link down", "teamId": people["team"], "source": "MONITORING"}

    async def write(user: str) -> None:
        created = await request(gateway, one_connection, tenant_id, CREATE, input=create)
        incident = created["createIncident"]["id"]
        assigned = await request(gateway, one_connection, tenant_id, ASSIGN, id=incident, user=user)
        assert assigned["assignIncident"]["assignee"] == {"name": user_name[user]}

    user_name = {people["ann"]: "ann", people["bob"]: "bob"}
    await write(people["ann"])  # the connection prepares the statements
    engine = one_connection.kw["bind"]
    with round_trips(engine) as trips:
        created = await request(gateway, one_connection, tenant_id, CREATE, input=create)
    wall = f"SELECT set_config('app.tenant_id', '{tenant_id}', true)"
    read_back = [f"COMMIT; BEGIN; {wall}", "B", "ROLLBACK"]
    assert trips.sent == [f"BEGIN; {wall}", "B", "B", "B", "B", *read_back]
    incident = created["createIncident"]["id"]
    with round_trips(engine) as trips:
        await request(gateway, one_connection, tenant_id, ASSIGN, id=incident, user=people["bob"])
    assert trips.sent == [f"BEGIN; {wall}", "B", "B", "B", "COMMIT"]


async def recorded(owner_sessions: Sessions, incident: str) -> dict[str, Any]:
    """The incident's assignee, its ASSIGNED history, events and audit entries."""
    id = uuid.UUID(incident)
    async with owner_sessions() as session:
        assignee = await session.scalar(
            select(tables.Incident.assignee_id).where(tables.Incident.id == id)
        )
        history = await session.scalars(
            select(tables.IncidentChange.changes)
            .where(
                tables.IncidentChange.incident_id == id, tables.IncidentChange.kind == "ASSIGNED"
            )
            .order_by(tables.IncidentChange.created_at, tables.IncidentChange.id)
        )
        payloads = await session.scalars(
            select(events.OutboxEvent.payload)
            .where(
                events.OutboxEvent.entity_id == id, events.OutboxEvent.kind == "incident.assigned"
            )
            .order_by(events.OutboxEvent.id)
        )
        entries = await session.scalars(
            select(audit.AuditEntry.after)
            .where(audit.AuditEntry.entity_id == id, audit.AuditEntry.operation == "assignIncident")
            .order_by(audit.AuditEntry.recorded_at)
        )
        return {
            "assignee": str(assignee),
            "history": list(history),
            "events": [(p["assigneeId"], p["changes"]) for p in payloads],
            "audit": list(entries),
        }


async def test_a_reassignment_records_who_it_was_and_the_same_assignee_nothing(
    gateway: Gateway,
    sessions: Sessions,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    people: dict[str, str],
) -> None:
    """Each assignment that changes hands writes one history entry, one event and one
    audit record naming the previous assignee; assigning the same user again answers the
    incident, with neither history nor event (its audit record changes nothing)."""
    ann, bob = people["ann"], people["bob"]
    created = await request(gateway, sessions, tenant_id, CREATE, input={"title": "Disk"})
    incident = created["createIncident"]["id"]
    for user in (ann, bob, bob):
        data = await request(gateway, sessions, tenant_id, ASSIGN, id=incident, user=user)
        assert data["assignIncident"]["assignee"] == {"name": "bob" if user == bob else "ann"}

    state = await recorded(owner_sessions, incident)
    assert state["assignee"] == bob
    changes = [{"assigneeId": [None, ann]}, {"assigneeId": [ann, bob]}]
    assert state["history"] == changes
    assert state["events"] == [(ann, changes[0]), (bob, changes[1])]
    assert state["audit"] == [{"assigneeId": ann}, {"assigneeId": bob}, {}]


async def test_assigning_an_unknown_incident_is_not_found(
    gateway: Gateway, sessions: Sessions, tenant_id: uuid.UUID, people: dict[str, str]
) -> None:
    context = Context.open(
        sessions,
        principal=REGISTRY.roles.principal(tenant_id, frozenset({"admin"})),
        entity_presence=gateway.entity_presence,
    )
    missing = str(uuid.uuid4())
    try:
        body = await gateway.execute(ASSIGN, {"id": missing, "user": people["ann"]}, None, context)
    finally:
        await context.close()
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        ("NOT_FOUND", f"No incident with id {missing}")
    ]
