"""Reads asked in one event-loop tick go to PostgreSQL as one statement, one round trip
(db/merged_reads.py), and each gets the rows it would get alone."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Integer, bindparam, cast, column, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.merged_reads import merged_sql
from db.scope import RequestDatabase
from subgraphs.incidents import tables as incidents
from tests.conftest import round_trips

Sessions = async_sessionmaker[AsyncSession]
NEVER = {"one": 1, "zero": 0}
SERIES = func.generate_series(1, bindparam("last", type_=Integer)).column_valued("n")


def reads() -> list[tuple[Any, dict[str, Any]]]:
    """Reads of every kind a request makes: ordered and limited, an expanding IN, a JSONB
    parameter, timestamps, UUIDs, text holding what looks like a parameter, no rows."""
    return [
        (select(SERIES).order_by(SERIES.desc()).limit(700), {"last": 1000}),
        (
            select(
                literal("it costs $1, '$2'").label("price"),
                literal(2).in_(bindparam("among", expanding=True)).label("found"),
            ),
            {"among": [1, 2, 3]},
        ),
        (
            select(
                cast(bindparam("document", type_=JSONB), JSONB)["a"].label("a"),
                (
                    func.make_timestamptz(2026, 12, 7, 8, 0, 0, "UTC")
                    + func.make_interval(0, 0, 0, bindparam("days"))
                ).label("at"),
                cast(bindparam("id"), incidents.Incident.id.type).label("id"),
            ),
            {"document": {"a": [1, "x"]}, "days": 3, "id": uuid.UUID(int=7)},
        ),
        (select(SERIES).where(SERIES > 5), {"last": 3}),
        (select(SERIES.label("m")).order_by(SERIES), {"last": 1500}),
    ]


async def test_reads_asked_together_go_in_one_round_trip_each_with_its_own_rows(
    one_connection: Sessions,
) -> None:
    alone = RequestDatabase(one_connection, uuid.uuid4())
    try:
        expected = [[tuple(row) for row in await alone.rows(*read)] for read in reads()]
    finally:
        await alone.close()
    assert expected[0] == [(n,) for n in range(1000, 300, -1)]
    assert expected[2] == [
        ([1, "x"], datetime.datetime(2026, 12, 10, 8, tzinfo=datetime.UTC), uuid.UUID(int=7))
    ]

    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        with round_trips(one_connection.kw["bind"]) as trips:
            together = await asyncio.gather(*(db.rows(*read) for read in reads()))
    finally:
        await db.close()
    assert [[tuple(row) for row in rows] for rows in together] == expected
    assert together[4][0].m == 1  # named as alone
    # BEGIN with the wall; the five reads in one statement (prepared first: "P").
    assert [sent for sent in trips.sent if sent != "P"][1:] == ["B", "ROLLBACK"]


async def test_a_part_that_fails_fails_every_read_sent_with_it(one_connection: Sessions) -> None:
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        answers = await asyncio.gather(
            db.rows(select(literal(1).label("one"))),
            db.rows(select(func.div(bindparam("one"), bindparam("zero")).label("never")), NEVER),
            return_exceptions=True,
        )
        assert [type(answer) for answer in answers] == [asyncpg.DivisionByZeroError] * 2
        async with db.unit_of_work():  # which begins afresh, as after any failed read
            pass
        assert [tuple(row) for row in await db.rows(select(literal(2).label("two")))] == [(2,)]
    finally:
        await db.close()


async def test_a_read_that_locks_rows_is_sent_alone(one_connection: Sessions) -> None:
    """A UNION refuses FOR UPDATE: such a read goes in its own round trip, as does text
    (which may hold one)."""
    row = incidents.Incident
    locking = select(row.number.label("n")).where(row.id == uuid.uuid4()).with_for_update()
    textual = text("SELECT 5 AS n FOR UPDATE").columns(column("n"))
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        with round_trips(one_connection.kw["bind"]) as trips:
            answers = await asyncio.gather(
                db.rows(locking),
                db.rows(select(literal(3).label("n"))),
                db.rows(textual),
                db.rows(select(literal(4).label("n"))),
            )
    finally:
        await db.close()
    assert [[row.n for row in found] for found in answers] == [[], [3], [5], [4]]
    # The two plain reads together; each locking one alone.
    assert trips.sent.count("B") == 3, trips.sent


async def test_a_reader_cancelled_while_waiting_leaves_the_others_their_rows(
    one_connection: Sessions,
) -> None:
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        slow = asyncio.ensure_future(db.rows(text("SELECT pg_sleep(0.2) AS slept")))
        await asyncio.sleep(0.05)  # sent: the lock is held until it answers
        waiting = asyncio.ensure_future(db.rows(select(literal(1).label("one"))))
        kept = asyncio.ensure_future(db.rows(select(literal(2).label("two"))))
        await asyncio.sleep(0)
        waiting.cancel()
        assert [tuple(row) for row in await kept] == [(2,)]
        assert len(await slow) == 1
        with pytest.raises(asyncio.CancelledError):
            await waiting
    finally:
        await db.close()


async def test_a_column_null_in_two_parts_is_typed_by_the_first(
    one_connection: Sessions,
) -> None:
    """PostgreSQL types a UNION's columns a pair of parts at a time: a column NULL in the
    first two parts would be text, which the third's JSONB does not fit; the first part
    joins the later ones on false for their types."""
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        three = "SELECT NULL AS a UNION ALL SELECT NULL UNION ALL SELECT '{}'::jsonb"
        with pytest.raises(asyncpg.DatatypeMismatchError, match="text and jsonb"):
            await db.rows(text(three))
    finally:
        await db.close()
    document = select(cast(bindparam("d", type_=JSONB), JSONB).label("d"))
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        answers = await asyncio.gather(
            db.rows(select(literal(1).label("one"))),
            db.rows(select(literal(2).label("two"))),
            db.rows(document, {"d": {"a": 1}}),
        )
    finally:
        await db.close()
    assert [[tuple(row) for row in rows] for rows in answers] == [[(1,)], [(2,)], [({"a": 1},)]]


async def test_a_reader_cancelled_while_its_read_is_sent_leaves_the_others_their_rows(
    one_connection: Sessions,
) -> None:
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        sleeping = select(func.pg_sleep(0.2).label("slept"), literal(1).label("one"))
        first = asyncio.ensure_future(db.rows(sleeping))
        second = asyncio.ensure_future(db.rows(select(literal(2).label("two"))))
        third = asyncio.ensure_future(db.rows(select(literal(3).label("three"))))
        await asyncio.sleep(0.05)  # the three sent in one statement
        second.cancel()
        assert [row.one for row in await first] == [1]
        assert [tuple(row) for row in await third] == [(3,)]
        with pytest.raises(asyncio.CancelledError):
            await second
    finally:
        await db.close()


def test_parameters_are_renumbered_outside_quotes_only() -> None:
    first = ("SELECT $1::INTEGER AS a", 1, 1)
    second = ("SELECT '$1' AS \"$2\", $1::TEXT AS b, $2::TEXT AS c", 3, 2)
    third = ("SELECT $1::JSONB AS d", 1, 1)
    assert merged_sql((first, second, third)) == (
        "SELECT 0, p.*, NULL, NULL, NULL, t2.* FROM (SELECT $1::INTEGER AS a) AS p "
        "LEFT JOIN (SELECT $4::JSONB AS d) AS t2 ON false\n"
        "UNION ALL SELECT 1, NULL, p.*, NULL FROM (SELECT '$1' AS \"$2\", $2::TEXT AS b, "
        "$3::TEXT AS c) AS p\n"
        "UNION ALL SELECT 2, NULL, NULL, NULL, NULL, p.* FROM (SELECT $4::JSONB AS d) AS p"
    )
