"""Deleting a CI sees the incidents that name it (issue 18): the CMDB's read model
`incident_references`, kept by the consumer `cmdb.incident-references` (run by the real
runner) from the incidents' events written through the router; `deleteConfigurationItem`
refuses a CI any incident names, open or closed, and writes nothing; replaying or rebuilding
the model gives the same rows; the model stays behind the tenant wall."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import events
from db.tenants import create_tenant
from opsgraph.events.consumers import ConsumerRunner
from router.gateway import Gateway
from subgraphs.cmdb import incident_references, tables
from tests.subgraphs.cmdb.conftest import create_ci, ok, run
from tests.support import Subgraph

Sessions = async_sessionmaker[AsyncSession]
Reference = tables.IncidentReference
Outbox = events.OutboxEvent
CREATE = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }"""
UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { id } }"""
CANCEL = """mutation($id: ID!) { transitionIncident(id: $id,
  input: {status: CANCELLED, cancelReason: "Duplicate"}) { toStatus } }"""
DELETE = "mutation($id: ID!) { deleteConfigurationItem(id: $id) }"
CI = "query($id: ID!) { configurationItem(id: $id) { id } }"
CREATE_CI = """mutation($name: String!) {
  createConfigurationItem(input: {className: "Server", name: $name}) { id } }"""


@dataclasses.dataclass
class Model:
    runner: ConsumerRunner
    start: int  # the position it was registered at: every event of the test comes after


@pytest.fixture
async def model(owner_sessions: Sessions, sessions: Sessions) -> AsyncIterator[Model]:
    """The consumer as the CMDB's manifest declares it, under a name of the test's own and
    without its rebuild (which would start it from the oldest event other tests left): it
    starts after what is committed so far, and its position goes with the test."""
    consumer = dataclasses.replace(
        incident_references.CONSUMER, name=f"test.{uuid.uuid4().hex[:12]}", reset=None
    )
    runner = ConsumerRunner(consumer, owner_sessions, sessions)
    await runner.register()
    async with owner_sessions() as session:
        start = await session.scalar(
            select(events.ConsumerPosition.last_seq).where(
                events.ConsumerPosition.name == runner.name
            )
        )
    yield Model(runner, int(start or 0))
    async with owner_sessions() as session, session.begin():
        await session.execute(
            delete(events.ConsumerPosition).where(events.ConsumerPosition.name == runner.name)
        )


async def rewind(owner_sessions: Sessions, model: Model) -> None:
    """The position back to where the test began (as after a crash before it was written)."""
    async with owner_sessions() as session, session.begin():
        await session.execute(
            update(events.ConsumerPosition)
            .where(events.ConsumerPosition.name == model.runner.name)
            .values(last_seq=model.start)
        )


async def references(owner_sessions: Sessions, tenant: uuid.UUID) -> list[tuple[Any, ...]]:
    async with owner_sessions() as session:
        rows = await session.execute(
            select(Reference.incident_id, Reference.role, Reference.ci_id)
            .where(Reference.tenant_id == tenant)
            .order_by(Reference.incident_id, Reference.role, Reference.ci_id)
        )
        return [tuple(row) for row in rows]


async def deleted_events(owner_sessions: Sessions, tenant: uuid.UUID) -> int:
    async with owner_sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.tenant_id == tenant, Outbox.kind == "ci.deleted")
        )
        return int(count or 0)


async def test_a_ci_an_incident_names_is_not_deleted_until_it_names_another(
    gateway: Gateway,
    cmdb: Subgraph,
    new_context: Any,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    model: Model,
) -> None:
    web = (await create_ci(cmdb, "Server", "web-01"))["id"]
    shop = (await create_ci(cmdb, "BusinessService", "Online Shop"))["id"]
    db = (await create_ci(cmdb, "Database", "orders-db"))["id"]
    spare = (await create_ci(cmdb, "Server", "web-02"))["id"]
    first = (
        await ok(
            gateway,
            new_context(),
            CREATE,
            input={"title": "Shop slow", "ciId": web, "affectedCiIds": [shop]},
        )
    )["createIncident"]["id"]
    second = (
        await ok(
            gateway,
            new_context(),
            CREATE,
            input={"title": "Locks", "ciId": db, "affectedCiIds": [shop]},
        )
    )["createIncident"]["id"]
    await ok(gateway, new_context(), CANCEL, id=second)  # closed: it still names them
    assert await model.runner.drain() >= 2

    for ci, count in ((web, 1), (shop, 2), (db, 1)):
        refused = await run(gateway, new_context(), DELETE, id=ci)
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "CONFLICT", error
        assert error["extensions"]["incidents"] == count
        assert error["message"].startswith(f"{count} incident(s) refer to the configuration item")
        assert (await ok(gateway, new_context(), CI, id=ci))["configurationItem"] == {"id": ci}
    assert await deleted_events(owner_sessions, tenant_id) == 0  # nothing written

    # The first incident names another CI, and no longer the shop.
    await ok(gateway, new_context(), UPDATE, id=first, input={"ciId": spare, "affectedCiIds": []})
    await model.runner.drain()

    assert (await ok(gateway, new_context(), DELETE, id=web))["deleteConfigurationItem"] == web
    assert (await run(gateway, new_context(), DELETE, id=shop))["errors"][0]["extensions"][
        "incidents"
    ] == 1  # the cancelled one still names it
    assert (await run(gateway, new_context(), DELETE, id=spare))["errors"][0]["extensions"][
        "code"
    ] == "CONFLICT"
    assert await references(owner_sessions, tenant_id) == sorted(
        [
            (uuid.UUID(first), "CI", uuid.UUID(spare)),
            (uuid.UUID(second), "AFFECTED", uuid.UUID(shop)),
            (uuid.UUID(second), "CI", uuid.UUID(db)),
        ]
    )


async def test_replay_and_rebuild_give_the_same_model(
    gateway: Gateway,
    cmdb: Subgraph,
    new_context: Any,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    model: Model,
) -> None:
    a, b, c = [(await create_ci(cmdb, "Server", f"app-{n}"))["id"] for n in range(3)]
    incident = (
        await ok(
            gateway, new_context(), CREATE, input={"title": "A", "ciId": a, "affectedCiIds": [b]}
        )
    )["createIncident"]["id"]
    await ok(gateway, new_context(), UPDATE, id=incident, input={"affectedCiIds": [b, c]})
    await ok(gateway, new_context(), UPDATE, id=incident, input={"ciId": b})  # b leaves affected
    await ok(gateway, new_context(), CREATE, input={"title": "B", "affectedCiIds": [a]})
    await model.runner.drain()
    built = await references(owner_sessions, tenant_id)
    assert [(role, ci) for _, role, ci in built].count(("CI", uuid.UUID(b))) == 1
    assert len(built) == 3  # the incident: CI b, AFFECTED c; the other: AFFECTED a

    await rewind(owner_sessions, model)  # every event delivered again
    await model.runner.drain()
    assert await references(owner_sessions, tenant_id) == built

    context = new_context()
    async with context.db.unit_of_work() as session:  # the rebuild: reset, then replay
        await incident_references.reset(session)
    assert await references(owner_sessions, tenant_id) == []
    await rewind(owner_sessions, model)
    await model.runner.drain()
    assert await references(owner_sessions, tenant_id) == built


async def test_the_model_stays_behind_the_tenant_wall(
    gateway: Gateway,
    cmdb: Subgraph,
    new_context: Any,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    model: Model,
) -> None:
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:10]}", "Other")
    mine = (await create_ci(cmdb, "Server", "shared-name"))["id"]
    created = await cmdb.ok(CREATE_CI, new_context(other), name="shared-name")
    theirs = created["createConfigurationItem"]["id"]
    await ok(gateway, new_context(), CREATE, input={"title": "Mine", "ciId": mine})
    await ok(gateway, new_context(other), CREATE, input={"title": "Theirs", "ciId": theirs})
    await model.runner.drain()

    context = new_context(other)
    async with context.db.unit_of_work() as session:  # the application role, their wall
        seen = list(await session.scalars(select(Reference.ci_id)))
        assert await incident_references.incidents_naming(session, tenant_id, uuid.UUID(mine)) == 0
    assert seen == [uuid.UUID(theirs)]

    async with new_context(other).db.unit_of_work() as session:
        await incident_references.reset(session)  # their rebuild leaves my rows alone
    assert len(await references(owner_sessions, tenant_id)) == 1
    assert await references(owner_sessions, other) == []
    assert (await run(gateway, new_context(), DELETE, id=mine))["errors"][0]["extensions"][
        "code"
    ] == "CONFLICT"
