"""Soft delete, restore and purge of incidents (deletion.py) against real PostgreSQL: a deleted
incident leaves lists, counts, lookups, entity resolution and writes (the `live_rows` policy,
so a plain SELECT as the application role misses it too), stays in the audit log, comes back
with restoreIncident within 30 days (CONFLICT after), and is purged by its job once the 30 days
have passed (the handler's clock set by the test); its number is never reused. Subscriptions:
tests/e2e/test_incident_bulk_and_deletion_live.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import SET_TENANT
from db.tables import audit, events
from db.tenants import create_tenant
from resolvers.jobs import Job, RetryAt
from subgraphs.incidents import deletion, tables
from tests.subgraphs.test_incident_lifecycle import written
from tests.support import Subgraph

Sessions = async_sessionmaker[AsyncSession]
CREATE = """mutation($title: String!) { createIncident(input: {title: $title}) { id number } }"""
DELETE = """mutation($id: ID!, $reason: String!) {
  deleteIncident(id: $id, reason: $reason) { id number reason deletedAt restorableUntil } }"""
RESTORE = "mutation($id: ID!) { restoreIncident(id: $id) { id number title history { kind } } }"
SEEN = """query($id: ID!, $number: String!, $reps: [_Any!]!) {
  incidents { totalCount edges { node { id } } }
  incident(id: $id) { id }
  incidentByNumber(number: $number) { id }
  _entities(representations: $reps) { ... on Incident { id } } }"""


async def create(incidents: Subgraph, title: str = "Disk full") -> dict[str, Any]:
    return (await incidents.ok(CREATE, title=title))["createIncident"]  # type: ignore[no-any-return]


async def seen(incidents: Subgraph, incident: dict[str, Any]) -> dict[str, Any]:
    reps = [{"__typename": "Incident", "id": incident["id"]}]
    return await incidents.ok(SEEN, id=incident["id"], number=incident["number"], reps=reps)


async def app_count(sessions: Sessions, tenant_id: uuid.UUID) -> int:
    """What any statement of the application role sees, with no filter of its own."""
    async with sessions() as session, session.begin():
        await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
        return int(await session.scalar(text("SELECT count(*) FROM incidents.incidents")) or 0)


async def purge_jobs(owner_sessions: Sessions, id: str) -> list[Any]:
    async with owner_sessions() as session:
        rows = await session.execute(
            text(
                "SELECT id, scheduled_at, args->'payload' AS payload FROM jobs.procrastinate_jobs "
                "WHERE queue_name = :q AND args->'payload'->>'incident_id' = :id ORDER BY id"
            ),
            {"q": deletion.PURGE, "id": id},
        )
        return list(rows)


async def run_purge(
    sessions: Sessions, tenant_id: uuid.UUID, job: Any, now: datetime
) -> RetryAt | None:
    as_job = Job(job.id, deletion.PURGE, tenant_id, job.payload, 1, datetime.now(UTC))
    async with sessions() as session, session.begin():
        await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
        return await deletion.purge_when_due(session, as_job, now=now)


async def deleted_days_ago(owner_sessions: Sessions, id: str, days: float) -> None:
    row = tables.Incident
    async with owner_sessions() as session, session.begin():
        await session.execute(
            update(row)
            .where(row.id == uuid.UUID(id))
            .values(deleted_at=row.deleted_at - timedelta(days=days))
        )


async def test_a_deleted_incident_leaves_every_read_and_write(
    incidents: Subgraph, sessions: Sessions, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    kept, gone = await create(incidents, "Kept"), await create(incidents, "Gone")
    assert (await seen(incidents, gone))["incidents"]["totalCount"] == 2
    deleted = (await incidents.ok(DELETE, id=gone["id"], reason="Opened by mistake"))[
        "deleteIncident"
    ]
    assert (deleted["id"], deleted["number"], deleted["reason"]) == (
        gone["id"],
        gone["number"],
        "Opened by mistake",
    )
    restorable = datetime.fromisoformat(deleted["restorableUntil"])
    assert restorable - datetime.fromisoformat(deleted["deletedAt"]) == timedelta(days=30)
    assert await seen(incidents, gone) == {
        "incidents": {"totalCount": 1, "edges": [{"node": {"id": kept["id"]}}]},
        "incident": None,
        "incidentByNumber": None,
        "_entities": [None],
    }
    assert await app_count(sessions, tenant_id) == 1
    for mutation in (
        'mutation($id: ID!) { updateIncident(id: $id, input: {title: "x"}) { id } }',
        'mutation($id: ID!) { deleteIncident(id: $id, reason: "again") { id } }',
        'mutation($id: ID!) { addComment(incidentId: $id, input: {body: "hi"}) { id } }',
    ):
        result = await incidents.run(mutation, id=gone["id"])
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND", mutation
    async with owner_sessions() as session:
        entry = (
            await session.execute(
                select(audit.AuditEntry).where(
                    audit.AuditEntry.entity_id == uuid.UUID(gone["id"]),
                    audit.AuditEntry.operation == "deleteIncident",
                )
            )
        ).scalar_one()
        event = (
            await session.execute(
                select(events.OutboxEvent).where(
                    events.OutboxEvent.entity_id == uuid.UUID(gone["id"]),
                    events.OutboxEvent.kind == "incident.deleted",
                )
            )
        ).scalar_one()
    assert entry.after["deleteReason"] == "Opened by mistake"
    assert entry.after["deletedAt"] is not None
    assert event.payload["changes"]["deleteReason"] == [None, "Opened by mistake"]
    [job] = await purge_jobs(owner_sessions, gone["id"])
    assert job.scheduled_at == restorable


async def test_restore_within_30_days_brings_it_back(
    incidents: Subgraph, sessions: Sessions, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await create(incidents)
    await incidents.ok(DELETE, id=incident["id"], reason="Spam")
    await deleted_days_ago(owner_sessions, incident["id"], 29)
    restored = (await incidents.ok(RESTORE, id=incident["id"]))["restoreIncident"]
    assert restored["number"] == incident["number"]
    assert [entry["kind"] for entry in restored["history"]] == ["CREATED", "DELETED", "RESTORED"]
    assert (await seen(incidents, incident))["incident"] == {"id": incident["id"]}
    async with owner_sessions() as session:
        kinds = (
            await session.scalars(
                select(events.OutboxEvent.kind)
                .where(events.OutboxEvent.entity_id == uuid.UUID(incident["id"]))
                .order_by(events.OutboxEvent.id)  # as written: seq is stamped later
            )
        ).all()
    assert kinds == ["incident.created", "incident.deleted", "incident.restored"]
    # Restoring what is not deleted changes nothing; its purge job finds nothing to do.
    before = await written(owner_sessions, tenant_id)
    assert (await incidents.ok(RESTORE, id=incident["id"]))["restoreIncident"]["id"]
    assert await written(owner_sessions, tenant_id) == before
    [job] = await purge_jobs(owner_sessions, incident["id"])
    far = datetime.now(UTC) + timedelta(days=365)
    assert await run_purge(sessions, tenant_id, job, far) is None
    assert await app_count(sessions, tenant_id) == 1


async def test_restore_after_30_days_is_a_conflict(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await create(incidents)
    await incidents.ok(DELETE, id=incident["id"], reason="Spam")
    await deleted_days_ago(owner_sessions, incident["id"], 31)
    before = await written(owner_sessions, tenant_id)
    result = await incidents.run(RESTORE, id=incident["id"])
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"] == {"code": "CONFLICT", "field": "id", "restoreWindowDays": 30}
    assert await written(owner_sessions, tenant_id) == before


async def test_the_purge_job_removes_it_after_30_days_and_numbers_are_never_reused(
    incidents: Subgraph, sessions: Sessions, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await create(incidents)
    await incidents.ok(
        'mutation($id: ID!) { addComment(incidentId: $id, input: {body: "note"}) { id } }',
        id=incident["id"],
    )
    await incidents.ok(DELETE, id=incident["id"], reason="Test data")
    [job] = await purge_jobs(owner_sessions, incident["id"])
    early = job.scheduled_at - timedelta(seconds=1)
    assert await run_purge(sessions, tenant_id, job, early) == RetryAt(job.scheduled_at)
    assert (await incidents.run(RESTORE, id=incident["id"]))["errors"] == []  # still there
    await incidents.ok(DELETE, id=incident["id"], reason="Test data, again")
    first, second = await purge_jobs(owner_sessions, incident["id"])
    # The first deletion's job does nothing: the incident was restored and deleted again.
    assert await run_purge(sessions, tenant_id, first, second.scheduled_at) is None
    assert await run_purge(sessions, tenant_id, second, second.scheduled_at) is None
    id = uuid.UUID(incident["id"])
    async with owner_sessions() as session:
        left = {
            table.__tablename__: await session.scalar(
                select(func.count())
                .select_from(table)
                .where((table.id if table is tables.Incident else table.incident_id) == id)
            )
            for table in (tables.Incident, *deletion.PURGED_WITH)
        }
        purge = (
            await session.execute(
                select(audit.AuditEntry).where(
                    audit.AuditEntry.entity_id == id, audit.AuditEntry.operation == deletion.PURGE
                )
            )
        ).scalar_one()
        operations = (
            await session.scalars(
                select(audit.AuditEntry.operation)
                .where(audit.AuditEntry.entity_id == id)
                .order_by(audit.AuditEntry.recorded_at)
            )
        ).all()
    assert set(left.values()) == {0}, left
    assert purge.before["number"] == int(incident["number"].removeprefix("INC-"))
    assert operations[0] == "createIncident" and operations[-1] == deletion.PURGE
    result = await incidents.run(RESTORE, id=incident["id"])
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    after = await create(incidents, "Next")
    assert int(after["number"].removeprefix("INC-")) == int(incident["number"][4:]) + 1


async def test_bad_input_and_another_tenants_incident(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, new_context: Any
) -> None:
    incident = await create(incidents)
    before = await written(owner_sessions, tenant_id)
    for reason, field in (("  ", "reason"), ("x" * 2001, "reason")):
        result = await incidents.run(DELETE, id=incident["id"], reason=reason)
        assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    result = await incidents.run(DELETE, id="not-an-id", reason="x")
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:8]}", "Other")
    for mutation, variables in (
        (DELETE, {"reason": "not mine"}),
        (RESTORE, {}),
    ):
        result = await incidents.run(mutation, new_context(other), id=incident["id"], **variables)
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await written(owner_sessions, tenant_id) == before
    # Another tenant's deleted incident cannot be restored from here either.
    await incidents.ok(DELETE, id=incident["id"], reason="mine")
    result = await incidents.run(RESTORE, new_context(other), id=incident["id"])
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
