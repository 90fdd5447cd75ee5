"""A request's database scope: reads on the driver's connection inside one walled
transaction, writes in the session's, and a connection the server dropped neither fails the
scope's end nor is handed out again."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import any_, bindparam, cast, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import create_engine, session_factory
from db.reads import MANY_KEYS
from db.roles import app_database_url
from db.scope import RequestDatabase
from subgraphs.incidents import service
from subgraphs.incidents import tables as incidents
from tests.conftest import StatementCounter, round_trips

Sessions = async_sessionmaker[AsyncSession]
NOW_AND_WALL = text("SELECT now() AS began, current_setting('app.tenant_id') AS tenant")


async def test_closing_after_the_server_dropped_the_connection_does_not_raise(
    sessions: Sessions, owner_sessions: Sessions
) -> None:
    db = RequestDatabase(sessions, uuid.uuid4())
    backend = (await db.rows(text("SELECT pg_backend_pid() AS pid")))[0].pid
    async with owner_sessions() as owner:
        assert await owner.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": backend})
    await db.close()  # the rollback of the open transaction fails: the connection is gone

    again = RequestDatabase(sessions, uuid.uuid4())
    try:  # and the pool hands out a working connection afterwards
        assert (await again.rows(text("SELECT 1 AS one")))[0].one == 1
    finally:
        await again.close()


async def test_reads_share_one_transaction_whose_first_statement_is_the_wall(
    sessions: Sessions, statements: StatementCounter
) -> None:
    tenant = uuid.uuid4()
    db = RequestDatabase(sessions, tenant)
    try:
        first, second = [(await db.rows(NOW_AND_WALL))[0] for _ in range(2)]
    finally:
        await db.close()
    assert first == second  # now() is the transaction's start: one transaction
    assert first.tenant == str(tenant)
    # BEGIN and the wall travel together, announced as one statement before the reads.
    assert statements.count == 3, statements.statements
    assert statements.statements[0] == (
        f"BEGIN; SELECT set_config('app.tenant_id', '{tenant}', true)"
    )


async def backend_and_wall(sessions: Sessions) -> tuple[int, str]:
    db = RequestDatabase(sessions, uuid.uuid4())
    try:
        row = (
            await db.rows(
                text("SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id') AS t")
            )
        )[0]
        return row.pid, row.t
    finally:
        await db.close()


@pytest.mark.parametrize("noticed", [True, False])
async def test_a_connection_the_server_closed_is_replaced_without_a_ping(
    one_connection: Sessions, owner_sessions: Sessions, noticed: bool
) -> None:
    """No ping per checkout. Once the driver has seen the server close the socket, the
    pool connects afresh as it checks the connection out; before (or if it never sees
    it), the BEGIN sent first on it fails and the request takes another connection."""
    pid, _ = await backend_and_wall(one_connection)
    async with owner_sessions() as owner:
        assert await owner.scalar(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
    if noticed:
        await asyncio.sleep(0.1)  # the server's goodbye reaches the driver's connection
    again, wall = await backend_and_wall(one_connection)
    assert again != pid and wall


async def test_reads_in_a_unit_of_work_see_its_writes(sessions: Sessions) -> None:
    tenant = uuid.uuid4()
    comments = incidents.IncidentComment
    mine = select(comments.body).where(comments.tenant_id == bindparam("tenant"))
    db = RequestDatabase(sessions, tenant)
    try:
        assert await db.rows(mine, {"tenant": tenant}) == []  # the reads' transaction first
        with pytest.raises(RuntimeError):
            async with db.unit_of_work() as session:
                await session.execute(
                    insert(comments).values(
                        tenant_id=tenant, incident_id=uuid.uuid4(), body="x", visibility="PUBLIC"
                    )
                )
                assert [row.body for row in await db.rows(mine, {"tenant": tenant})] == ["x"]
                raise RuntimeError("rolled back")
        assert await db.rows(mine, {"tenant": tenant}) == []
    finally:
        await db.close()


async def test_a_unit_of_work_carries_on_in_the_reads_transaction(
    one_connection: Sessions,
) -> None:
    """After the request's reads, a unit of work's statements run in their transaction
    (walled, nothing failed in it): no round trip to begin one, of the scope's or the
    driver's own; its commit is one round trip. Without reads first, it begins with its
    wall in one round trip."""
    tenant = uuid.uuid4()

    async def request(read_first: bool) -> str:
        db = RequestDatabase(one_connection, tenant)
        try:
            if read_first:
                await db.rows(NOW_AND_WALL)
            async with db.unit_of_work() as session:
                return str(await session.scalar(text("SELECT current_setting('app.tenant_id')")))
        finally:
            await db.close()

    await request(True)  # the connection prepares the statements
    wall = f"BEGIN; SELECT set_config('app.tenant_id', '{tenant}', true)"
    for read_first, sent in [(True, [wall, "B", "B", "COMMIT"]), (False, [wall, "B", "COMMIT"])]:
        with round_trips(one_connection.kw["bind"]) as trips:
            assert await request(read_first) == str(tenant)
        assert trips.sent == sent


async def test_a_snapshot_scope_reads_the_database_as_its_first_statement_found_it(
    sessions: Sessions, owner_sessions: Sessions, one_connection: Sessions
) -> None:
    """A query's scope (`snapshot`) reads one snapshot: a commit between two of its reads is
    not seen by the second, as it is at READ COMMITTED; it writes only in a unit of work of
    its own, which sees that commit and which the snapshot's transaction never carries."""
    tenant = uuid.uuid4()
    comments = incidents.IncidentComment
    mine = select(comments.body).where(comments.tenant_id == bindparam("tenant"))

    async def commit(body: str) -> None:
        async with owner_sessions() as owner, owner.begin():
            await owner.execute(
                insert(comments).values(
                    tenant_id=tenant, incident_id=uuid.uuid4(), body=body, visibility="PUBLIC"
                )
            )

    async def bodies(db: RequestDatabase) -> list[str]:
        return sorted(row.body for row in await db.rows(mine, {"tenant": tenant}))

    seen: dict[bool, list[list[str]]] = {}
    for snapshot in (False, True):
        db = RequestDatabase(sessions, tenant)
        db.snapshot = snapshot
        try:
            first = await bodies(db)
            await commit(f"meanwhile {snapshot}")
            seen[snapshot] = [first, await bodies(db)]
        finally:
            await db.close()
    assert seen[False] == [[], ["meanwhile False"]]
    assert seen[True] == [["meanwhile False"], ["meanwhile False"]]

    # Reads before the request was known to be a query's: the snapshot begins at the next.
    db = RequestDatabase(sessions, tenant)
    try:
        before = await bodies(db)
        db.snapshot = True
        first = await bodies(db)
        await commit("after the snapshot began")
        assert before == first == await bodies(db) == ["meanwhile False", "meanwhile True"]
    finally:
        await db.close()

    db = RequestDatabase(sessions, tenant)
    db.snapshot = True
    try:
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await db.rows(
                insert(comments)
                .values(tenant_id=tenant, incident_id=uuid.uuid4(), body="x", visibility="PUBLIC")
                .returning(comments.body)
            )
    finally:
        await db.close()

    with round_trips(one_connection.kw["bind"]) as trips:
        db = RequestDatabase(one_connection, tenant)
        db.snapshot = True
        try:
            await bodies(db)
            await commit("before the unit of work")
            async with db.unit_of_work() as session:
                await session.execute(
                    update(comments)
                    .where(comments.tenant_id == tenant, comments.body == "meanwhile True")
                    .values(body="written")
                )
            assert await bodies(db) == [
                "after the snapshot began",
                "before the unit of work",
                "meanwhile False",
                "written",
            ]
        finally:
            await db.close()
    # The snapshot's transaction ends in the round trip that begins the unit of work's;
    # the reads after it begin another snapshot ("P": a statement's first use prepares it).
    wall = f"SELECT set_config('app.tenant_id', '{tenant}', true)"
    snapshot = f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {wall}"
    assert trips.sent == [
        *(snapshot, "P", "B"),
        *(f"COMMIT; BEGIN; {wall}", "P", "B", "COMMIT"),
        *(snapshot, "B", "ROLLBACK"),
    ]


async def test_a_unit_of_work_after_a_failed_read_begins_afresh(one_connection: Sessions) -> None:
    """A read that failed aborted the reads' transaction: the unit of work ends it and
    begins its own with the wall, in one round trip, and its writes commit."""
    tenant = uuid.uuid4()
    comments = incidents.IncidentComment
    db = RequestDatabase(one_connection, tenant)
    try:
        with round_trips(one_connection.kw["bind"]) as trips:
            with pytest.raises(asyncpg.DivisionByZeroError):
                await db.rows(text("SELECT 1 / (SELECT 0) AS never"))
            async with db.unit_of_work() as session:
                await session.execute(
                    insert(comments).values(
                        tenant_id=tenant, incident_id=uuid.uuid4(), body="x", visibility="PUBLIC"
                    )
                )
        mine = select(comments.body).where(comments.tenant_id == bindparam("tenant"))
        assert [row.body for row in await db.rows(mine, {"tenant": tenant})] == ["x"]
    finally:
        await db.close()
    wall = f"SELECT set_config('app.tenant_id', '{tenant}', true)"
    assert [sql for sql in trips.sent if "set_config" in sql] == [
        f"BEGIN; {wall}",
        f"COMMIT; BEGIN; {wall}",
    ]


async def test_a_failed_commit_begins_no_reads_transaction(
    sessions: Sessions, owner_sessions: Sessions
) -> None:
    """``read_after``: the reads after a unit of work run in the transaction its COMMIT's
    round trip began. When the COMMIT fails (here the number handed out at commit is taken
    already), nothing commits, the BEGIN after it is not run, and the next read begins its
    own transaction with the wall."""
    tenant = uuid.uuid4()
    Incident = incidents.Incident
    numbers = select(Incident.id, Incident.number).where(Incident.tenant_id == bindparam("t"))

    def new() -> service.PreparedIncident:
        return service.prepare_incident(tenant, service.NewIncident(title="x"), None)

    db = RequestDatabase(sessions, tenant)
    try:
        async with db.unit_of_work(read_after=True) as session:
            await service.insert_incident(session, first := new())
        assert [tuple(row) for row in await db.rows(numbers, {"t": tenant})] == [(first.id, 1)]
        await db.close()
        async with owner_sessions() as owner, owner.begin():
            counter = incidents.IncidentNumber
            await owner.execute(
                update(counter).where(counter.tenant_id == tenant).values(last_number=0)
            )
        with pytest.raises(IntegrityError):
            async with db.unit_of_work(read_after=True) as session:
                await service.insert_incident(session, new())
        after = (await db.rows(NOW_AND_WALL))[0]
        assert after.tenant == str(tenant)
        assert [tuple(row) for row in await db.rows(numbers, {"t": tenant})] == [(first.id, 1)]
    finally:
        await db.close()


async def test_statements_of_one_shape_read_their_own_values(sessions: Sessions) -> None:
    """A shape is compiled once; each statement of it binds its own values, and an
    expanding IN is rendered for each list."""
    db = RequestDatabase(sessions, uuid.uuid4())
    try:
        for value in (1, 2, 3):
            statement = select(
                literal(value).label("value"), literal(value).in_([1, 2][:value]).label("found")
            )
            assert tuple(await db.rows(statement)) == ((value, value <= 2),)
        # Converted on the way in (JSONB is serialised) beside an expanding IN.
        document = cast(literal({"a": 1}, JSONB), JSONB)
        both = select(
            document.contains({"a": 1}).label("has"), literal(2).in_([1, 2]).label("found")
        )
        assert tuple(await db.rows(both)) == ((True, True),)
    finally:
        await db.close()


# Spelled apart, so that this statement does not count itself.
PREPARED = text(
    "SELECT count(*) AS n FROM pg_prepared_statements "
    "WHERE statement LIKE '%' || 'driver_' || 'probe%'"
)


@pytest.mark.parametrize("prepared, expected", [(True, 1), (False, 0)])
async def test_reads_reuse_prepared_statements_unless_turned_off(
    database_url: str, prepared: bool, expected: int
) -> None:
    """Reads on the driver's connection follow the engine's setting too: off (PgBouncer
    in transaction mode), nothing stays prepared on the connection."""
    engine = create_engine(
        app_database_url(database_url), pool_size=1, max_overflow=0, prepared_statements=prepared
    )
    db = RequestDatabase(session_factory(engine), uuid.uuid4())
    try:
        for value in (1, 2, 3):
            probe = select((literal(41) + bindparam("x")).label("driver_probe"))
            assert (await db.rows(probe, {"x": value}))[0].driver_probe == 41 + value
        assert (await db.rows(PREPARED))[0].n == expected
    finally:
        await db.close()
        await engine.dispose()


# Spelled apart, as PREPARED is.
PLANS = text(
    "SELECT coalesce(sum(generic_plans), 0) AS generic, coalesce(sum(custom_plans), 0) AS custom "
    "FROM pg_prepared_statements WHERE statement LIKE '%' || 'keys_' || 'probe%'"
)


@pytest.mark.plans
@pytest.mark.parametrize("keys, kept", [(MANY_KEYS + 1, False), (10, True)])
async def test_a_read_of_many_keys_is_planned_for_them(
    one_connection: Sessions, keys: int, kept: bool
) -> None:
    """PostgreSQL plans a prepared statement for its values five times, then keeps a plan
    for any values when that seems no dearer: given an array, one that takes it for a
    handful of elements and probes an index per element (a blast radius's open incidents,
    5,317 CIs: 8-9 ms, against 5-6 ms planned for them). A read given more than MANY_KEYS
    values is planned for them every time; fewer run with the kept plan."""
    ids = [uuid.uuid4() for _ in range(keys)]
    row = incidents.Incident
    probe = select(row.id.label("keys_probe")).where(
        row.ci_id == any_(bindparam("keys", type_=ARRAY(UUID(as_uuid=True))))
    )
    db = RequestDatabase(one_connection, uuid.uuid4())
    try:
        for _ in range(8):
            assert await db.rows(probe, {"keys": ids}) == []
        plans = (await db.rows(PLANS))[0]
    finally:
        await db.close()
    # Planned for its values, a statement is not kept: no plan for any values is counted.
    assert (plans.generic > 0) is kept, plans
