"""Lists of problems, read as the application role behind the tenant wall."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from subgraphs.problems import tables
from subgraphs.problems.inputs import ProblemFilter
from subgraphs.problems.queries import about_ci, filtered
from tests.support import analysed, rows_read

FILLERS = 5_000  # problems naming another CI


@pytest.mark.plans
@pytest.mark.parametrize("way", ["ci_id", "root_cause_ci_id", "affected"])
async def test_a_page_of_the_problems_naming_a_ci_reads_only_those(
    database_url: str, owner_sessions: Any, tenant_id: uuid.UUID, way: str
) -> None:
    """`problems(filter: {ciId})` finds the problems naming the CI as their CI, as their
    root cause's or among their affected CIs, each way by an index: as `ci_id = $ci OR
    root_cause_ci_id = $ci OR id IN (the affected ones, correlated)` a page tested every
    problem of the tenant, newest first."""
    row = {"tenant_id": tenant_id, "status": "NEW", "priority": 3, "impact": "LOW"}
    row |= {"urgency": "LOW", "ci_id": uuid.uuid4()}
    rows = [{**row, "title": f"filler {n}", "number": n} for n in range(1, FILLERS + 1)]
    ci, named = uuid.uuid4(), {**row, "id": uuid.uuid4(), "title": "named", "number": 0}
    if way != "affected":
        named[way] = ci
    async with owner_sessions() as session, session.begin():
        await session.execute(insert(tables.Problem), [*rows, named])
        if way == "affected":
            link = {"tenant_id": tenant_id, "problem_id": named["id"], "ci_id": ci}
            await session.execute(insert(tables.ProblemAffectedCi), [link])
    await analysed(owner_sessions, "problems.problems", "problems.problem_affected_cis")
    problem = tables.Problem
    page = (
        select(problem.title)
        .where(problem.tenant_id == tenant_id, about_ci(ci))
        .order_by(problem.opened_at.desc(), problem.id.desc())
        .limit(21)
    )

    found, read = await rows_read(database_url, tenant_id, page, problem)

    assert [r.title for r in found] == ["named"]
    assert read <= 5  # the problem found, by its key; not the tenant's 5,001


@pytest.mark.plans
async def test_a_page_of_the_problems_created_lately_reads_only_those(
    database_url: str, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """`problems(filter: {createdAfter})` reads the problems created since, by an index."""
    row = {"tenant_id": tenant_id, "status": "NEW", "priority": 3, "impact": "LOW"}
    row |= {"urgency": "LOW"}
    rows = [{**row, "title": f"filler {n}", "number": n} for n in range(1, FILLERS + 1)]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    late = {**row, "title": "late", "number": 0, "created_at": tomorrow}
    async with owner_sessions() as session, session.begin():
        await session.execute(insert(tables.Problem), [*rows, late])
    await analysed(owner_sessions, "problems.problems")
    problem = tables.Problem
    since = ProblemFilter(created_after=tomorrow - timedelta(hours=1))
    page = (
        filtered(select(problem.title).where(problem.tenant_id == tenant_id), since)
        .order_by(problem.opened_at.desc(), problem.id.desc())
        .limit(21)
    )

    found, read = await rows_read(database_url, tenant_id, page, problem)

    assert [r.title for r in found] == ["late"]
    assert read <= 5  # the problem found, by its key; not the tenant's 5,001
