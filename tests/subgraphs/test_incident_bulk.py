"""bulkUpdateIncidents (bulk.py) against real PostgreSQL: each id by the single mutations'
rules in its own savepoint (an unknown id, another tenant's, a rule violation and a malformed
id among good ones), the whole request refused with nothing written for bad batches (over 500
ids, none, duplicates, nothing to change, an assignee not of the tenant), and a large batch
run in chunks by the job runner with its progress events. The subscription streaming those
events: tests/e2e/test_incident_bulk_and_deletion_live.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import audit, events
from db.tenants import create_tenant
from opsgraph.jobs.runner import JobRunners
from subgraphs.incidents import bulk, tables
from subgraphs.incidents.bulk_tables import IncidentBulkUpdate
from tests.subgraphs.test_incident_lifecycle import written
from tests.support import Subgraph

Sessions = async_sessionmaker[AsyncSession]
BULK = """mutation($ids: [ID!]!, $input: BulkUpdateIncidentsInput!) {
  bulkUpdateIncidents(ids: $ids, input: $input) {
    jobId total processed succeeded failed done results { id ok code message } } }"""
READ = "query($id: ID!) { incident(id: $id) { status priority resolutionCode } }"
RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Rebooted."}


async def create(incidents: Subgraph, count: int, context: Any = None) -> list[str]:
    """`count` incidents in one request."""
    fields = " ".join(
        f'c{n}: createIncident(input: {{title: "Bulk {n}"}}) {{ id }}' for n in range(count)
    )
    data = await incidents.ok(f"mutation {{ {fields} }}", context)
    return [data[f"c{n}"]["id"] for n in range(count)]


async def test_one_bad_id_among_good_ones(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID, new_context: Any
) -> None:
    good, other_good, closed = await create(incidents, 3)
    await incidents.ok(
        """mutation($id: ID!) { r: transitionIncident(id: $id, input: {status: RESOLVED,
        resolutionCode: FIXED, resolutionNotes: "done"}) { toStatus } }""",
        id=closed,
    )
    await incidents.ok(
        "mutation($id: ID!) { transitionIncident(id: $id, input: {status: CLOSED}) { toStatus } }",
        id=closed,
    )
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"b-{uuid.uuid4().hex[:8]}", "Other")
    [foreign] = await create(incidents, 1, new_context(other))
    unknown = str(uuid.uuid4())
    ids = [good, unknown, foreign, other_good, closed, "nonsense"]
    answer = (await incidents.ok(BULK, ids=ids, input={**RESOLVE, "priority": "CRITICAL"}))[
        "bulkUpdateIncidents"
    ]
    assert (answer["total"], answer["processed"], answer["done"]) == (6, 6, True)
    assert (answer["succeeded"], answer["failed"]) == (2, 4)
    codes = [(result["id"], result["ok"], result["code"]) for result in answer["results"]]
    assert codes == [
        (good, True, None),
        (unknown, False, "NOT_FOUND"),
        (foreign, False, "NOT_FOUND"),
        (other_good, True, None),
        (closed, False, "CONFLICT"),
        ("nonsense", False, "BAD_USER_INPUT"),
    ]
    for id in (good, other_good):
        assert (await incidents.ok(READ, id=id))["incident"] == {
            "status": "RESOLVED",
            "priority": "CRITICAL",
            "resolutionCode": "FIXED",
        }
    assert (await incidents.ok(READ, id=closed))["incident"]["status"] == "CLOSED"
    foreign_now = await incidents.ok(READ, new_context(other), id=foreign)
    assert foreign_now["incident"]["status"] == "OPEN"
    async with owner_sessions() as session:
        entries = (
            await session.scalars(
                select(audit.AuditEntry.entity_id).where(
                    audit.AuditEntry.tenant_id == tenant_id,
                    audit.AuditEntry.operation == bulk.OPERATION,
                )
            )
        ).all()
        closed_changes = await session.scalar(
            select(func.count())
            .select_from(tables.IncidentChange)
            .where(tables.IncidentChange.incident_id == uuid.UUID(closed))
        )
    assert sorted(map(str, entries)) == sorted([good, other_good])
    assert closed_changes == 3  # created, resolved, closed: the refused change left nothing
    # The rules of a single transition, per id: RESOLVED → CANCELLED is no legal move, and a
    # move to RESOLVED needs its resolution.
    illegal = await incidents.ok(BULK, ids=[good], input={"status": "CANCELLED"})
    assert illegal["bulkUpdateIncidents"]["results"][0]["code"] == "CONFLICT"
    [fresh] = await create(incidents, 1)
    notes = await incidents.ok(BULK, ids=[fresh], input={"status": "RESOLVED"})
    [result] = notes["bulkUpdateIncidents"]["results"]
    assert (result["code"], "resolutionCode" in result["message"]) == ("BAD_USER_INPUT", True)


async def test_bad_batches_are_refused_and_write_nothing(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    [id] = await create(incidents, 1)
    before = await written(owner_sessions, tenant_id)
    too_many = [str(uuid.uuid4()) for _ in range(bulk.MAX_IDS)] + [id]
    cases = [
        (too_many, {"priority": "LOW"}, "ids"),
        ([], {"priority": "LOW"}, "ids"),
        ([id, id], {"priority": "LOW"}, "ids"),
        ([id], {}, "input"),
        ([id], {"assigneeId": "not-an-id"}, None),
    ]
    for ids, input, field in cases:
        result = await incidents.run(BULK, ids=ids, input=input)
        assert result["data"] is None
        [error] = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (len(ids), input)
        if field:
            assert error["extensions"]["field"] == field
    result = await incidents.run(BULK, ids=[id], input={"assigneeId": str(uuid.uuid4())})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await written(owner_sessions, tenant_id) == before
    async with owner_sessions() as session:
        runs = await session.scalar(
            select(func.count())
            .select_from(IncidentBulkUpdate)
            .where(IncidentBulkUpdate.tenant_id == tenant_id)
        )
    assert runs == 0


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_large_batch_runs_in_chunks_on_the_job_queue(
    incidents: Subgraph,
    owner_sessions: Sessions,
    sessions: Sessions,
    database_url: str,
    tenant_id: uuid.UUID,
) -> None:
    ids = [*await create(incidents, 58), str(uuid.uuid4())]
    answer = (await incidents.ok(BULK, ids=ids, input={"priority": "LOW"}))["bulkUpdateIncidents"]
    assert (answer["total"], answer["processed"], answer["done"], answer["results"]) == (
        59,
        0,
        False,
        [],
    )
    job_id = answer["jobId"]
    runner = JobRunners([bulk.JOB], poll_interval=0.05, stalled_after=1.0)
    await runner.start(database_url, sessions)
    read = """query($id: ID!) { incidentBulkUpdate(jobId: $id) {
      total processed succeeded failed done results { id ok code } } }"""

    async def job_state() -> dict[str, Any]:
        """The job's progress read as the router reads a query, from one snapshot: the
        normal executor's second answer to it (tests/compiled_check.py) sees what the
        compiled one saw, not a chunk the runner committed between the two."""
        context = incidents.new_context()
        context.reads_one_snapshot()
        try:
            return (await incidents.ok(read, context, id=job_id))["incidentBulkUpdate"]
        finally:
            await context.close()

    try:

        async def finished() -> bool:
            return bool((await job_state())["done"])

        await until(finished)
    finally:
        await runner.stop()
    final = await job_state()
    assert (final["processed"], final["succeeded"], final["failed"]) == (59, 58, 1)
    assert [result["id"] for result in final["results"]] == ids
    assert final["results"][-1] == {"id": ids[-1], "ok": False, "code": "NOT_FOUND"}
    assert (await incidents.ok(READ, id=ids[0]))["incident"]["priority"] == "LOW"
    async with owner_sessions() as session:
        progress = (
            await session.scalars(
                select(events.OutboxEvent.payload)
                .where(
                    events.OutboxEvent.tenant_id == tenant_id,
                    events.OutboxEvent.kind == bulk.PROGRESS,
                )
                .order_by(events.OutboxEvent.id)
            )
        ).all()
    assert [(p["processed"], p["done"], len(p["results"])) for p in progress] == [
        (50, False, 50),
        (59, True, 9),
    ]
    assert (await incidents.ok(read, id=str(uuid.uuid4()))) == {"incidentBulkUpdate": None}
