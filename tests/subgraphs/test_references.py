"""The ids the incidents subgraph stores for identity's entities are checked by identity, through
the router's entity fetch, before anything is written; a comment's author is the caller."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsgraph.domains import REGISTRY
from resolvers.context import Context
from subgraphs.incidents import schema as incidents_schema
from subgraphs.incidents import tables as tables
from tests.support import Subgraph

CREATE = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) {
  id assignee { id } reporter { id } team { id } } }"""
COMMENT = """mutation($id: ID!, $input: AddCommentInput!) {
  addComment(incidentId: $id, input: $input) { id author { id } } }"""


async def user_and_team(identity: Subgraph) -> tuple[str, str]:
    made = await identity.ok(
        'mutation { u: createUser(input: {name: "Ann", email: "ann@example.com"}) { id } '
        't: createTeam(input: {name: "NOC"}) { id } }'
    )
    return made["u"]["id"], made["t"]["id"]


async def test_ids_of_the_tenant_are_stored(identity: Subgraph, incidents: Subgraph) -> None:
    user, team = await user_and_team(identity)

    data = await incidents.ok(
        CREATE, input={"title": "Disk", "assigneeId": user, "reporterId": user, "teamId": team}
    )

    assert data["createIncident"]["assignee"] == {"id": user}
    assert data["createIncident"]["reporter"] == {"id": user}
    assert data["createIncident"]["team"] == {"id": team}


def operator(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, user: str, presence: Any
) -> Context:
    principal = REGISTRY.roles.principal(
        tenant,
        frozenset({"operator"}),
        user_id=uuid.UUID(user),
        subject=user,
        authenticated=True,
    )
    return Context.open(sessions, principal=principal, entity_presence=presence)


async def test_a_comment_is_written_by_the_caller(
    identity: Subgraph,
    incidents: Subgraph,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    entity_presence: Any,
) -> None:
    user, _ = await user_and_team(identity)
    incident = (await incidents.ok(CREATE, input={"title": "Disk"}))["createIncident"]["id"]
    context = operator(sessions, tenant_id, user, entity_presence)
    try:
        data = await incidents.ok(COMMENT, context, id=incident, input={"body": "on it"})
    finally:
        await context.close()
    assert data["addComment"]["author"] == {"id": user}


async def test_writing_as_someone_else_needs_a_permission(
    identity: Subgraph,
    incidents: Subgraph,
    sessions: async_sessionmaker[AsyncSession],
    owner_sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    entity_presence: Any,
) -> None:
    user, _ = await user_and_team(identity)
    other = (
        await identity.ok('mutation { createUser(input: {name: "Bo", email: "bo@x.io"}) { id } }')
    )["createUser"]["id"]
    incident = (await incidents.ok(CREATE, input={"title": "Disk"}))["createIncident"]["id"]
    context = operator(sessions, tenant_id, user, entity_presence)
    try:
        refused = await incidents.run(
            COMMENT, context, id=incident, input={"body": "as Bo", "authorId": other}
        )
        as_self = await incidents.ok(
            COMMENT, context, id=incident, input={"body": "as me", "authorId": user}
        )
    finally:
        await context.close()

    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert as_self["addComment"]["author"] == {"id": user}
    # The admin (incident:comment_on_behalf) may transcribe Bo's words.
    on_behalf = await incidents.ok(COMMENT, id=incident, input={"body": "as Bo", "authorId": other})
    assert on_behalf["addComment"]["author"] == {"id": other}
    c = tables.IncidentComment
    async with owner_sessions() as session:
        bodies = (await session.execute(select(c.body).where(c.tenant_id == tenant_id))).all()
    assert sorted(b for (b,) in bodies) == ["as Bo", "as me"]


async def test_a_subgraph_without_the_router_cannot_check_references(
    sessions: async_sessionmaker[AsyncSession],
    owner_sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
) -> None:
    """Served alone, nothing answers for identity's ids: SERVICE_UNAVAILABLE, nothing written;
    an incident without references is still created."""
    alone = Subgraph(
        incidents_schema,
        lambda: Context.open(
            sessions, principal=REGISTRY.roles.principal(tenant_id, frozenset({"admin"}))
        ),
    )

    refused = await alone.run(CREATE, input={"title": "x", "assigneeId": str(uuid.uuid4())})
    plain = await alone.ok(CREATE, input={"title": "y"})

    assert [e["extensions"]["code"] for e in refused["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert plain["createIncident"]["assignee"] is None
    i = tables.Incident
    async with owner_sessions() as session:
        titles = (await session.execute(select(i.title).where(i.tenant_id == tenant_id))).all()
    assert titles == [("y",)]
