"""The demo CMDB writes the events its creation through the API would (`ci.created`), so the
incidents domain's read model of CIs (alerts/ci_names.py) knows the demo CIs: an alert names a
demo CI. (The demo incidents write no events: the problems domain's facts of them are seeded
as they are, and an `incident.created` event would reset them to open and new.)"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import events, tenancy
from opsgraph.events.consumers import ConsumerRunner
from opsgraph.seed import seed_demo
from resolvers.consumers import EventConsumer
from subgraphs.cmdb import tables as cmdb_tables
from subgraphs.incidents.alerts import ci_names
from subgraphs.incidents.alerts.tables import CiName

Sessions = async_sessionmaker[AsyncSession]
READ_MODELS = (ci_names.CONSUMER,)


@pytest.fixture
async def runners(owner_sessions: Sessions, sessions: Sessions) -> AsyncIterator[list[Any]]:
    """The read models' consumers under names of the test's own, starting after the events
    committed so far (no `reset`: from the latest), removed with the test."""
    runners = []
    for consumer in READ_MODELS:
        own: EventConsumer = dataclasses.replace(
            consumer, name=f"test.{uuid.uuid4().hex[:12]}", reset=None
        )
        runner = ConsumerRunner(own, owner_sessions, sessions)
        await runner.register()
        runners.append(runner)
    yield runners
    async with owner_sessions() as session, session.begin():
        names = [runner.name for runner in runners]
        await session.execute(
            delete(events.ConsumerPosition).where(events.ConsumerPosition.name.in_(names))
        )


async def test_the_ci_names_know_the_demo_cis(
    owner_sessions: Sessions, sessions: Sessions, runners: list[ConsumerRunner]
) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    async with owner_sessions() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=30)
        tenant_id = await session.scalar(
            select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug)
        )
    engine = sessions.kw["bind"].sync_engine
    positions_moved: list[str] = []

    def count_moves(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE events.consumer_positions SET last_seq"):
            positions_moved.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count_moves)
    try:
        handled = [await runner.drain() for runner in runners]
    finally:
        sa_event.remove(engine, "before_cursor_execute", count_moves)
    assert all(handled)
    # Up to a hundred consecutive events a transaction, each moving the position once.
    assert len(positions_moved) == sum(-(-count // 100) for count in handled)

    async def count(session: AsyncSession, column: Any, *where: Any) -> int:
        statement = select(func.count(func.distinct(column))).where(*where)
        return int(await session.scalar(statement) or 0)

    ci = cmdb_tables.ConfigurationItem
    async with owner_sessions() as session:
        assert await count(session, ci.id, ci.tenant_id == tenant_id) == await count(
            session, CiName.ci_id, CiName.tenant_id == tenant_id
        )
