"""Problem numbers against real PostgreSQL, handed out at commit as incidents' are
(db/numbering.py): gapless and unique per tenant however concurrent creates fail, each
committed problem with its one `problem.created` event carrying its number."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import delete, select

from db.scope import walled_unit_of_work
from db.tables import events
from db.tenants import create_tenant
from resolvers.errors import Conflict
from subgraphs.problems import service, tables
from tests.support import Subgraph, event_numbers

CREATE = 'mutation { createProblem(input: {title: "Disk full"}) { id number } }'


async def committed(owner_sessions: Any, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The tenant's problem numbers, its counter and its `problem.created` payloads."""
    p = tables.Problem
    async with owner_sessions() as session:
        rows = (await session.execute(select(p.id, p.number).where(p.tenant_id == tenant_id))).all()
        counter = await session.scalar(
            select(tables.ProblemNumber.last_number).where(
                tables.ProblemNumber.tenant_id == tenant_id
            )
        )
        payloads = {
            kind: list(
                await session.scalars(
                    select(events.OutboxEvent.payload).where(
                        events.OutboxEvent.tenant_id == tenant_id,
                        events.OutboxEvent.kind == kind,
                    )
                )
            )
            for kind in ("problem.created", "problem.incidents_linked")
        }
    return {
        "numbers": sorted(row.number for row in rows),
        "counter": counter,
        "payloads": payloads["problem.created"],
        "linked": payloads["problem.incidents_linked"],
        "ids": {str(row.id): f"PRB-{row.number}" for row in rows},
    }


async def test_numbers_stay_gapless_when_units_of_work_fail_after_inserting(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """24 concurrent units of work each insert a problem; every third then fails (a second
    create in it links an incident its first already linked) and rolls back, after its first
    problem was inserted. The committed numbers are 1..n, each once, written into the
    problems' events (the link's of the first included)."""
    taken = uuid.uuid4()

    def new(title: str, *incidents: uuid.UUID) -> service.PreparedProblem:
        problem = service.NewProblem(title=title, incident_ids=incidents)
        return service.prepare_problem(tenant_id, problem, None)

    async def create(*problems: service.PreparedProblem) -> list[str] | None:
        try:
            async with walled_unit_of_work(sessions, tenant_id) as session:
                for problem in problems:
                    assert (await service.insert_problem(session, problem)).number is None
            return [str(problem.id) for problem in problems]
        except Conflict:
            return None

    first = await create(new("first", taken))
    outcomes = await asyncio.gather(
        *(
            create(new(f"n{i}", uuid.uuid4()), new("again", taken))
            if i % 3 == 0
            else create(new(f"n{i}"))
            for i in range(24)
        )
    )

    assert [i for i, ids in enumerate(outcomes) if ids is None] == list(range(0, 24, 3))
    state = await committed(owner_sessions, tenant_id)
    assert first is not None and state["ids"][first[0]] == "PRB-1"
    assert state["numbers"] == list(range(1, 18))  # 16 creates and "first"
    assert state["counter"] == 17
    assert sorted((p["id"], p["number"]) for p in state["payloads"]) == sorted(state["ids"].items())
    assert [(p["id"], p["number"]) for p in state["linked"]] == [(first[0], "PRB-1")]


async def test_every_event_of_the_unit_of_work_gets_the_number(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """A problem created and changed in one unit of work: the change's event, written
    before the commit numbered the problem, carries "PRB-1" too (not "PRB-None")."""
    problem = service.prepare_problem(tenant_id, service.NewProblem(title="slow disks"), None)
    async with walled_unit_of_work(sessions, tenant_id) as session:
        await service.insert_problem(session, problem)
        update = service.ProblemUpdate(title="slow disks on the SAN")
        await service.update_problem(session, tenant_id, problem.id, update, None, may_manage=True)
    assert await event_numbers(owner_sessions, problem.id) == [
        ("problem.created", "PRB-1"),
        ("problem.updated", "PRB-1"),
    ]


async def test_a_problem_deleted_before_its_commit_takes_its_events_with_it(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """As an incident's (the mechanism is db/numbering.py's): no number, and nobody is told
    it was created; one kept beside it keeps its event, numbered."""
    gone = service.prepare_problem(tenant_id, service.NewProblem(title="gone"), None)
    kept = service.prepare_problem(tenant_id, service.NewProblem(title="kept"), None)
    async with walled_unit_of_work(sessions, tenant_id) as session:
        await service.insert_problem(session, gone)
        await service.insert_problem(session, kept)
        await session.execute(delete(tables.Problem).where(tables.Problem.id == gone.id))
    state = await committed(owner_sessions, tenant_id)
    assert state["counter"] == 1
    assert [(p["id"], p["number"]) for p in state["payloads"]] == [(str(kept.id), "PRB-1")]


async def test_tenants_number_concurrent_creates_apart(
    new_context: Any, owner_sessions: Any, tenant_id: uuid.UUID, problems: Subgraph
) -> None:
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"other-{uuid.uuid4().hex[:8]}", "Other")

    async def create(tenant: uuid.UUID) -> None:
        context = new_context(tenant)
        try:
            await problems.ok(CREATE, context)
        finally:
            await context.close()

    await asyncio.gather(*(create(tenant_id if i % 2 else other) for i in range(20)))
    for tenant in (tenant_id, other):
        state = await committed(owner_sessions, tenant)
        assert state["numbers"] == list(range(1, 11))
        assert state["counter"] == 10


async def test_no_statement_of_a_create_touches_the_counter(
    problems: Subgraph, statements: Any
) -> None:
    """The counter is the commit's business (db/numbering.py), and the answer carries the
    number it handed out."""
    await problems.ok(CREATE)
    statements.reset()
    data = await problems.ok(CREATE)
    assert data["createProblem"]["number"] == "PRB-2"
    assert not [sql for sql in statements.statements if "problem_numbers" in sql]
