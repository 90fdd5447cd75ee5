"""`opsgraph verify` finds the user, team and CI ids stored before references were checked
that name nothing in their tenant, and `--repair` clears them (or deletes the link rows) so
the incidents read again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import tenancy
from db.tenants import create_tenant
from opsgraph.verify import Dangling, find_dangling
from subgraphs.cmdb import schema as cmdb_schema
from subgraphs.identity import tables as identity_tables
from subgraphs.incidents import tables as tables
from subgraphs.incidents.family.tables import IncidentWatcher
from tests.support import Subgraph

READ = "query($id: ID!) { incident(id: $id) { assignee { id } team { id } reporter { id } } }"


async def test_dangling_references_are_found_and_cleared(
    owner_sessions: async_sessionmaker[AsyncSession],
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    identity: Subgraph,
    incidents: Subgraph,
    entity_presence: Any,
) -> None:
    mine = (
        await identity.ok('mutation { createUser(input: {name: "A", email: "a@x.io"}) { id } }')
    )["createUser"]["id"]
    nobody = uuid.uuid4()
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
        stranger = identity_tables.User(tenant_id=other, name="S", email="s@o.io")
        session.add(stranger)
        await session.flush()
        slug = await session.scalar(
            select(tenancy.Tenant.slug).where(tenancy.Tenant.id == tenant_id)
        )
    # Written as before the check existed: another tenant's user, a team of nobody.
    created = await incidents.ok(
        'mutation($u: ID!) { createIncident(input: {title: "old", reporterId: $u}) { id } }',
        u=mine,
    )
    incident = uuid.UUID(created["createIncident"]["id"])
    async with owner_sessions() as session, session.begin():
        row = await session.get(tables.Incident, incident)
        assert row is not None
        row.assignee_id, row.team_id = stranger.id, nobody
        session.add(IncidentWatcher(tenant_id=tenant_id, incident_id=incident, user_id=nobody))
    assert (await incidents.run(READ, id=str(incident)))["errors"] == []  # stubs only here

    found = await find_dangling(owner_sessions, sessions, entity_presence, tenant=slug)

    assert sorted(found, key=lambda d: d.column) == [
        Dangling(slug, "incident_watchers.user_id", "User", nobody, 1),
        Dangling(slug, "incidents.assignee_id", "User", stranger.id, 1),
        Dangling(slug, "incidents.team_id", "Team", nobody, 1),
    ]
    await find_dangling(owner_sessions, sessions, entity_presence, tenant=slug, repair=True)
    assert await find_dangling(owner_sessions, sessions, entity_presence, tenant=slug) == []
    data = await incidents.ok(READ, id=str(incident))
    assert data["incident"] == {"assignee": None, "team": None, "reporter": {"id": mine}}
    async with owner_sessions() as session:  # the watcher naming nobody is gone
        assert await session.scalar(select(IncidentWatcher).filter_by(incident_id=incident)) is None


async def test_dangling_ci_links_are_found_and_deleted(
    owner_sessions: async_sessionmaker[AsyncSession],
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    incidents: Subgraph,
    new_context: Any,
    entity_presence: Any,
) -> None:
    """A link row's CI id naming nothing cannot be cleared (the column is the link): the row
    goes; the incident's own `ci_id` is cleared."""
    cmdb = Subgraph(cmdb_schema, new_context)
    made = await cmdb.ok(
        'mutation { createConfigurationItem(input: {className: "Server", name: "s"}) { id } }'
    )
    ci = made["createConfigurationItem"]["id"]
    created = await incidents.ok(
        'mutation($ci: ID!) { createIncident(input: {title: "t", ciId: $ci, '
        "affectedCiIds: []}) { id } }",
        ci=ci,
    )
    incident = uuid.UUID(created["createIncident"]["id"])
    gone, nobody = uuid.uuid4(), uuid.uuid4()
    async with owner_sessions() as session, session.begin():
        row = await session.get(tables.Incident, incident)
        assert row is not None
        row.ci_id = gone
        for ci_id in (uuid.UUID(ci), nobody):
            session.add(
                tables.IncidentAffectedCi(tenant_id=tenant_id, incident_id=incident, ci_id=ci_id)
            )
        slug = await session.scalar(
            select(tenancy.Tenant.slug).where(tenancy.Tenant.id == tenant_id)
        )

    found = await find_dangling(owner_sessions, sessions, entity_presence, tenant=slug)
    await find_dangling(owner_sessions, sessions, entity_presence, tenant=slug, repair=True)

    assert sorted(found, key=lambda d: d.column) == [
        Dangling(slug, "incident_affected_cis.ci_id", "ConfigurationItem", nobody, 1),
        Dangling(slug, "incidents.ci_id", "ConfigurationItem", gone, 1),
    ]
    read = await incidents.ok(
        "query($id: ID!) { incident(id: $id) { ci { id } affectedCis { id } } }",
        id=str(incident),
    )
    assert read["incident"] == {"ci": None, "affectedCis": [{"id": ci}]}
