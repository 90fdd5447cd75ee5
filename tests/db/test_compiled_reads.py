"""A compiled read binds an execution's values as SQLAlchemy would (db/reads.py), without
its per-execution machinery: the statement's own values and the caller's, an expanding
list's text rendered once per length, a value missing refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler

from db.reads import compiled_reads
from db.scope import RequestDatabase
from subgraphs.incidents import tables as incidents

DIALECT = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]
ROW = incidents.Incident.__table__.c


def sqlalchemys(statement: Any, params: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """The text and arguments SQLAlchemy's own execution would send."""
    compiled = statement.compile(dialect=DIALECT)
    assert isinstance(compiled, SQLCompiler)
    values = compiled.construct_params(params, _no_postcompile=True)
    state = compiled._process_parameters_for_postcompile(values)
    processors = {**compiled._bind_processors, **state.processors}
    return state.statement, [
        processors[name](state.parameters[name])  # type: ignore[operator]
        if name in processors
        else state.parameters[name]
        for name in state.positiontup or ()
    ]


def ours(statement: Any, params: dict[str, Any] | None) -> tuple[str, list[Any]]:
    found = compiled_reads(DIALECT).get(statement)
    assert found is not None
    read, extracted = found
    return read.bound(params, extracted)


TENANT = bindparam("tenant")
STATUS = bindparam("status", expanding=True)
BY_STATUS = (
    select(ROW.id, ROW.number)
    .where(ROW.tenant_id == TENANT, ROW.status.in_(STATUS), ROW.priority.in_([1, 2]))
    .where(ROW.title != "x")
    .limit(bindparam("first"))
)


@pytest.mark.parametrize(
    "statuses",
    [["OPEN"], ["OPEN", "IN_PROGRESS"], ["CLOSED", "OPEN"], [], ["OPEN", "ON_HOLD", "CLOSED"]],
)
def test_expanding_lists_bind_as_sqlalchemy_binds_them(statuses: list[str]) -> None:
    tenant = uuid.uuid4()
    for repeat in range(2):  # rendered, then bound to the text kept for the lengths
        params = {"tenant": tenant, "status": statuses, "first": 10 + repeat}
        assert ours(BY_STATUS, params) == sqlalchemys(BY_STATUS, params)


def test_a_statement_binds_its_own_values_and_the_callers() -> None:
    statement = select(ROW.id).where(
        ROW.tenant_id == bindparam("tenant"),
        ROW.title == "own",
        ROW.id == bindparam("id", value=uuid.UUID(int=1)),
    )
    tenant, other = uuid.uuid4(), uuid.uuid4()
    for params in ({"tenant": tenant}, {"tenant": tenant, "id": other}):
        assert ours(statement, params) == sqlalchemys(statement, params)


def test_a_value_missing_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="'tenant'"):
        ours(BY_STATUS, {"status": ["OPEN"], "first": 1})


async def test_reads_of_one_statement_with_lists_of_one_length_find_their_own_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    numbers = select(func.generate_series(1, 10).label("n")).subquery()
    read = (
        select(numbers.c.n)
        .where(numbers.c.n.in_(bindparam("wanted", expanding=True)))
        .order_by(numbers.c.n)
    )
    db = RequestDatabase(sessions, uuid.uuid4())
    try:
        for wanted in ([1, 2], [4, 3], [5], [], [9, 8, 7]):
            rows = await db.rows(read, {"wanted": wanted})
            assert [row.n for row in rows] == sorted(wanted)
    finally:
        await db.close()
