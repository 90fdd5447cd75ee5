"""The database side of one GraphQL request.

A request holds one pooled connection, checked out at its first statement and returned at
``close()``. DataLoader batches of one request may be dispatched in the same event-loop tick,
but a connection runs one statement at a time, so every statement goes through a
per-request lock; the reads asked in one tick go together, in one statement (``rows()``,
db/merged_reads.py).

Every transaction of the scope is begun by the scope itself, ``BEGIN`` and the tenant's
wall sent together, in one round trip. Reads (``rows()``) run on the driver's connection
itself (``db.reads``), in that transaction, rolled back at ``close()``. Everything else goes
through an AsyncSession bound to the same connection: ``execute()``/``scalars()`` (ORM
entities) join the transaction open, and so does ``unit_of_work()``, one transaction per
mutation committed once and rolled back on any error, when it is the scope's reads' and
nothing failed in it; else it begins one (``COMMIT`` of the one open, ``BEGIN`` and the
wall, again one round trip). Reads inside a unit of work (a mutation reading back what it
wrote) run in its transaction.

The session takes over the scope's transaction as it begins (``_join``): SQLAlchemy's
asyncpg adapter would begin its own with asyncpg's ``Transaction`` (a ``BEGIN`` round trip of
its own, before the wall's, and one asyncpg refuses inside a transaction begun without it),
so the scope hands the adapter a transaction it has begun (``_Begun``), which the adapter
commits and rolls back as its own.

The request's tenant is the wall row-level security enforces (migration 0002): the first
statement of every transaction, read or unit of work, is
``SELECT set_config('app.tenant_id', <tenant>, true)``. ``true`` makes it transaction-local,
so it ends with the transaction and never leaks to the next user of the pooled connection (a
session-level SET would; and a connection checked in still inside a transaction is replaced
at its next checkout, see ``db.engine``).

Statements sent on the driver's connection are announced to the engine's
``before_cursor_execute`` listeners as SQLAlchemy's own are, so statement counters and
loggers see every statement of a request."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import Connection, Executable, Result, event, exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from db.failures import is_connection_failure
from db.merged_reads import dealt, merged_sql
from db.parking import Parking
from db.parking import parking as db_parking
from db.reads import CompiledRead, compiled_reads, row_class

T = TypeVar("T")
SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


class RequestDatabase:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> None:
        self._sessions = sessions
        self.tenant_id = tenant_id
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection under ``_connection``
        self._session: AsyncSession | None = None
        self._fresh = False  # the connection was checked out and nothing sent on it yet
        # The connection was taken parked inside the transaction of the request before
        # (db/parking.py): the next BEGIN ends that one first, in its round trip.
        self._ending = False
        # The transaction open is the scope's own and no statement failed in it: a unit of
        # work carries on in it (``_begin``).
        self._clean = False
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._asked: list[_Asked] = []  # reads waiting to be sent (``rows``)
        self._gate: PoolGate | None = None  # held from first statement to close()
        self._parking: Parking | None = None  # where the connection is parked at close()
        # A unit of work's statements sent with its BEGIN and with its COMMIT, in their round
        # trips (see ``unit_of_work``), and the command status of the first; what follows
        # its COMMIT in that round trip (the reads' transaction begun, ``read_after``).
        self.begun = ""
        self.commit_with = ""
        self._commit_then = ""
        # The read transactions begun from now on see one snapshot (REPEATABLE READ, READ
        # ONLY): every statement of a query's fetches, whichever subgraph sends it, reads
        # the database as it was at the first. A unit of work still begins its own
        # transaction (READ COMMITTED, writable); the snapshot's ends in its round trip.
        self.snapshot = False
        self._in_snapshot = False  # the transaction open is a snapshot's

    @property
    def database(self) -> str:
        """The database the scope's pool connects to (its URL, without the password): what
        a process's caches of the database's contents are kept apart by."""
        return str(self._sessions.kw["bind"].url)

    async def _admitted(self) -> None:
        """Wait for a turn at the connection pool (see ``connection_gate``), once."""
        if self._gate is None:
            gate = connection_gate(self._sessions)
            if gate is not None:
                await gate.acquire()
                self._gate = gate

    async def _connect(self) -> AsyncConnection:
        connection = self._connection
        if connection is None:
            await self._admitted()
            engine = self._sessions.kw["bind"]
            parking = self._parking = db_parking(engine)
            parked = parking.take() if parking is not None else None
            self._fresh = True
            if parked is not None:
                connection, self._driver = parked.connection, parked.driver
                self._ending = self._driver.is_in_transaction()
            else:
                connection = engine.connect()
                await connection.start()
                sync = connection.sync_connection
                assert sync is not None, "a started connection has its synchronous side"
                # Checked out just now: reading it does no IO (no greenlet needed).
                self._driver = sync.connection.driver_connection
            self._connection = connection
        return connection

    async def _session_ready(self, *, work: bool = False, also: str = "") -> AsyncSession:
        """The session on the request's connection, in a transaction with the wall (for a
        unit of ``work``, see ``_begin``)."""
        session = self._session
        if session is None or not session.in_transaction():
            await self._begin(await self._connect(), work=work, also=also)
            session = self._session
        if session is None:
            session = self._session = self._sessions(bind=self._connection)
            event.listen(session.sync_session, "after_begin", self._join)
        return session

    def _join(
        self, session: Session, transaction: SessionTransaction, connection: Connection
    ) -> None:
        """Runs as the session begins a transaction, before the statement that began it:
        the transaction is the one the scope has begun, with the wall (no round trip)."""
        assert self._driver.is_in_transaction(), "the scope begins the session's transactions"
        # SQLAlchemy's asyncpg adapter begins a transaction at its first statement unless it
        # holds one (its private ``_transaction``), and ends the one it holds.
        connection.connection.dbapi_connection._transaction = _Begun(self._driver, self)  # type: ignore[union-attr]

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        """Run one statement on the request's session (serialised with the others)."""
        return await self._serialised(self._session_execute, statement, params)

    async def _session_execute(self, statement: Executable, params: Any) -> Result[Any]:
        return await (await self._session_ready()).execute(statement, params)

    async def rows(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        """The rows of a Core statement (tables, columns; not mapped entities) as named
        tuples: reading a column by name from one costs a fifth of reading it from
        SQLAlchemy's Row, and a page reads thousands (`from_row`, keys, cursors).

        Reads asked in the same event-loop tick go in one round trip, one statement
        (db/merged_reads.py): the first to hold the scope's lock waits out the tick, then
        sends every read asked meanwhile and hands each its rows."""
        if self._owner is not None and self._owner is asyncio.current_task():
            # The mutation running a unit of work holds the lock: its reads run in turn.
            return await self._rows(statement, params)
        bound = self._bound(statement, params)
        if bound is None:
            return await self._serialised(self._session_rows, statement, params)
        asked = _Asked(*bound, asyncio.get_running_loop().create_future())
        self._asked.append(asked)
        try:
            async with self._lock:
                if not asked.answer.done():
                    await asyncio.sleep(0)  # the tick's other reads are asked meanwhile
                    batch, self._asked = self._asked, []
                    await self._send(batch)
        except asyncio.CancelledError:
            if asked in self._asked:
                self._asked.remove(asked)
            asked.answer.cancel()  # nobody is left to take its rows or its failure
            raise
        return asked.answer.result()  # type: ignore[no-any-return]

    async def _send(self, batch: list[_Asked]) -> None:
        """Run the reads of ``batch`` (those that may be, merged in one statement) and settle
        each one's answer; a failure is each one's."""
        try:
            connection = await self._begin(await self._connect())
            merged = [asked for asked in batch if asked.read.mergeable]
            groups = [merged] if merged else []
            groups += [[asked] for asked in batch if not asked.read.mergeable]
            for group in groups:
                await self._answer(connection, group)
        except Exception as error:
            self._clean = False  # a unit of work must not carry on in a failed transaction
            for asked in batch:
                if not asked.answer.done():
                    asked.answer.set_exception(error)
        except BaseException:
            self._clean = False
            for asked in batch:
                asked.answer.cancel()
            raise

    async def _answer(self, connection: AsyncConnection, group: list[_Asked]) -> None:
        """Send one statement, one read's or several merged (db/merged_reads.py), and answer
        each read its own rows."""
        if len(group) == 1:
            asked = group[0]
            rows = await self._read(connection, asked.read, asked.sql, asked.arguments)
            if not asked.answer.done():  # cancelled meanwhile: no one waits for it
                asked.answer.set_result(rows)
            return
        parts = tuple((asked.sql, len(asked.read.names), len(asked.arguments)) for asked in group)
        records = await self._fetch(
            connection,
            merged_sql(parts),
            [argument for asked in group for argument in asked.arguments],
            planned=any(asked.read.planned_for(asked.arguments) for asked in group),
        )
        widths = [width for _, width, _ in parts]
        for asked, values in zip(group, dealt(records, widths), strict=True):
            if not asked.answer.done():
                asked.answer.set_result(asked.read.part_rows(values))

    async def _read(
        self, connection: AsyncConnection, read: CompiledRead, sql: str, arguments: list[Any]
    ) -> list[Any]:
        planned = read.planned_for(arguments)
        return read.rows(await self._fetch(connection, sql, arguments, planned=planned))

    async def _rows(self, statement: Executable, params: Any) -> Sequence[Any]:
        """A read of a unit of work (its own statement, in turn)."""
        bound = self._bound(statement, params)
        if bound is None:
            return await self._session_rows(statement, params)
        connection = await self._begin(await self._connect())
        return await self._read(connection, *bound)

    def _bound(
        self, statement: Executable, params: Any
    ) -> tuple[CompiledRead, str, list[Any]] | None:
        """The compiled read of ``statement``, its SQL text and arguments; None for what
        runs through the session (``db.reads``)."""
        found = compiled_reads(self._sessions.kw["bind"].dialect).get(statement)
        if found is None:
            return None
        read, extracted = found
        return (read, *read.bound(params, extracted))

    async def _fetch(
        self, connection: AsyncConnection, sql: str, arguments: list[Any], *, planned: bool
    ) -> list[Any]:
        """The records of ``sql`` (``planned`` for its arguments, see ``_planned``)."""
        self._announce(connection, sql, arguments)
        if planned:
            return await self._run(self._planned(sql, arguments))
        return await self._run(self._driver.fetch(sql, *arguments))  # type: ignore[no-any-return]

    async def _planned(self, sql: str, arguments: Sequence[Any]) -> list[Any]:
        """The records of ``sql`` prepared for this execution alone, so planned for its
        values (a round trip more): ``fetch`` reuses the connection's prepared statement,
        which PostgreSQL may have planned for any value."""
        prepared = await self._driver.prepare(sql)
        return await prepared.fetch(*arguments)  # type: ignore[no-any-return]

    async def _session_rows(self, statement: Executable, params: Any) -> Sequence[Any]:
        """What ``db.reads`` does not cover, through SQLAlchemy on the session's connection."""
        connection = await (await self._session_ready()).connection()
        result = await connection.execute(statement, params)
        make = row_class(tuple(result.keys()))._make
        return [make(row) for row in result.all()]

    async def _begin(
        self, connection: AsyncConnection, *, work: bool = False, also: str = ""
    ) -> AsyncConnection:
        """Make sure a transaction with the wall is open: the one open (the scope's reads',
        or a unit of work's), or one begun now (BEGIN and the wall in one round trip). For a
        unit of ``work``, the reads' one if no statement failed in it (no round trip: at READ
        COMMITTED each statement sees what is committed as it starts, in a transaction begun
        earlier or not), else one begun now, the open one ended in the same round trip.
        Reads of a ``snapshot`` scope are in a snapshot's transaction (REPEATABLE READ,
        READ ONLY): begun at the first read since the scope was told, a READ COMMITTED one
        open then ended in its round trip; a unit of work never carries on in one.

        A connection just checked out that the server had dropped is replaced: returns the
        connection the transaction is open on. ``also``: a statement sent after the BEGIN in
        its round trip (its command status in ``begun``)."""
        snapshot = self.snapshot and not work
        if self._driver.is_in_transaction() and not self._ending:
            if not work and (self._in_snapshot or not snapshot):
                return connection
            if snapshot:
                # Reads the request made before it was known to be a query's (a trusted
                # document looked up): the snapshot begins now, in the round trip ending them.
                begin = f"COMMIT; {_begin_walled(self.tenant_id, also, snapshot=True)}"
            elif self._clean:
                self._clean = False  # the unit of work's now
                if also:
                    self._announce(connection, also, ())
                    self.begun = await self._run(self._driver.execute(also))
                return connection
            else:
                begin = f"COMMIT; {_begin_walled(self.tenant_id, also)}"
        else:
            begin = self._ended(_begin_walled(self.tenant_id, also, snapshot=snapshot))
        fresh, self._fresh = self._fresh, False
        self._announce(connection, begin, ())
        try:
            self.begun = await self._run(self._driver.execute(begin))
        except Exception as error:
            if not (fresh and is_connection_failure(error)):
                raise
            # The first statement on a connection just checked out (or parked): the server
            # dropped it meanwhile, before the driver noticed (see db.engine). Nothing was
            # done on it; another connection, as a ping would have found, answers instead.
            await self._release()
            connection = await self._connect()
            self._fresh = False
            begin = self._ended(_begin_walled(self.tenant_id, also, snapshot=snapshot))
            self._announce(connection, begin, ())
            self.begun = await self._run(self._driver.execute(begin))
        # A unit of work carries on in a read transaction of READ COMMITTED, never in a
        # snapshot (a later write of another transaction would make its update fail).
        self._clean = not work and not snapshot
        self._in_snapshot = snapshot
        return connection

    def _ended(self, begin: str) -> str:
        """``begin`` after the end of the transaction the connection was parked in, if it
        was (one simple query: the parked request's wall is gone before this one's is set)."""
        if not self._ending:
            return begin
        self._ending = False
        return f"ROLLBACK; {begin}"

    def _announce(self, connection: AsyncConnection, sql: str, arguments: Sequence[Any]) -> None:
        """Tell the engine's ``before_cursor_execute`` listeners (statement counters) about
        a statement sent on the driver's connection."""
        sync = connection.sync_connection
        assert sync is not None, "announced on a connection not started"
        if sync.dispatch.before_cursor_execute:
            sync.dispatch.before_cursor_execute(sync, None, sql, arguments, None, False)

    async def _run(self, operation: Awaitable[T]) -> T:
        """Await a statement on the driver's connection. A connection the database lost is
        invalidated, so the pool never hands it out again, and its failure raised as one:
        what the driver raises on a connection the server has just closed (its protocol
        caught mid-message, say) says less than the closed connection does, and
        SQLAlchemy's dialect asks the connection too."""
        try:
            return await operation
        except Exception as error:
            connection = self._connection
            lost = is_connection_failure(error)
            if connection is not None and (lost or self._driver.is_closed()):
                await connection.invalidate(error)
                if not lost:
                    raise exc.DBAPIError(None, None, error, connection_invalidated=True) from error
            raise

    async def _serialised(
        self, run: Callable[[Executable, Any], Awaitable[T]], statement: Executable, params: Any
    ) -> T:
        if self._owner is not None and self._owner is asyncio.current_task():
            # The mutation running a unit of work already holds the lock.
            return await run(statement, params)
        async with self._lock:
            try:
                return await run(statement, params)
            except BaseException:
                self._clean = False  # a unit of work must not carry on in a failed transaction
                raise

    async def scalars(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        return (await self.execute(statement, params)).scalars().all()

    @asynccontextmanager
    async def unit_of_work(
        self, *, begin_with: str = "", read_after: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One transaction for one mutation: committed once at the end, or rolled back.

        ``read_after``: the mutation reads once it has committed (what only the commit
        wrote: a number handed out at commit, db/numbering.py); the COMMIT's round trip
        begins the reads' transaction too, on the same connection.

        For work outside requests that counts round trips (an event consumer's delivery):
        ``begin_with`` is a statement sent with the BEGIN, in its round trip, its command
        status left in ``begun``; a statement set in ``commit_with`` by the end goes with
        the COMMIT, in its round trip (and nowhere on a rollback). Both are simple-query
        SQL: no parameters, every value written in."""
        async with self._lock:
            if self._session is not None and self._session.in_transaction():
                await self._session.commit()  # of earlier statements of the request
            self.commit_with = ""
            # The session in its transaction at once: the scope's reads of the mutation run
            # in it too.
            session = await self._session_ready(work=True, also=begin_with)
            self._owner = asyncio.current_task()
            try:
                await session.connection()
                yield session
                self._commit_then = _begin_walled(self.tenant_id) if read_after else ""
                await session.commit()
                self._clean = read_after
            except BaseException:
                await session.rollback()
                raise
            finally:
                self._owner = None
                self._commit_then = ""
                if not self._clean:
                    # Nothing is left open: the connection goes back to the pool until the
                    # request's next statement, as a session's does after its commit.
                    await self._release()

    async def close(self) -> None:
        """Return the connection and the pool turn."""
        try:
            await self._release()
        finally:
            if self._gate is not None:
                self._gate.release()
                self._gate = None

    async def _release(self) -> None:
        """End the transaction open and return the connection to the pool (the pool turn
        stays with the request), or park it, its transaction ended by the next request's
        first round trip, on an engine that parks (db/parking.py). A connection the server
        dropped cannot be rolled back; it is invalidated (SQLAlchemy has already
        invalidated one a session found lost), so that failure is not the caller's (a
        subscription between two events of a database outage, say)."""
        self._clean = False
        self._in_snapshot = False
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        driver, self._driver = self._driver, None
        ending, self._ending = self._ending, False
        try:
            if session is not None:
                try:
                    await session.close()
                except Exception as error:
                    if not is_connection_failure(error):
                        raise
        finally:
            parking = self._parking
            if connection is not None and not (
                parking is not None
                and not ending  # taken parked, never used: its end is still due
                and not connection.invalidated
                and not driver.is_closed()
                and parking.park(connection, driver)
            ):
                try:
                    if not connection.invalidated and driver.is_in_transaction():
                        await driver.execute("ROLLBACK")
                except Exception as error:
                    await connection.invalidate(error)
                    if not (is_connection_failure(error) or driver.is_closed()):
                        raise
                finally:
                    await connection.close()


@dataclass(slots=True, eq=False)
class _Asked:
    """A read asked of the scope, waiting to be sent (``RequestDatabase.rows``)."""

    read: CompiledRead
    sql: str
    arguments: list[Any]
    answer: asyncio.Future[list[Any]]


@asynccontextmanager
async def walled(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> AsyncIterator[RequestDatabase]:
    """A database scope outside a GraphQL request (a job, an Alertmanager notification, an
    event consumer's delivery), as the application role behind the tenant's wall; closed at
    the end."""
    db = RequestDatabase(sessions, tenant_id)
    try:
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def walled_unit_of_work(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """One transaction in a `walled` scope, begun with the wall in one round trip:
    committed at the end, rolled back on error."""
    async with walled(sessions, tenant_id) as db, db.unit_of_work() as session:
        yield session


def _begin_walled(tenant_id: uuid.UUID, also: str = "", *, snapshot: bool = False) -> str:
    """BEGIN and the tenant's wall as one simple query (one round trip; a simple query
    takes no parameters, so the tenant is written in, as the canonical form of a UUID), and
    ``also`` after them. A ``snapshot`` transaction reads, and only reads, the database as
    its first statement finds it (its snapshot is taken there, by the wall's SELECT)."""
    tenant = uuid.UUID(str(tenant_id))
    mode = " ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else ""
    begin = f"BEGIN{mode}; SELECT set_config('app.tenant_id', '{tenant}', true)"
    return f"{begin}; {also}" if also else begin


class _Begun:
    """A transaction the scope began, as SQLAlchemy's asyncpg adapter holds one (in place of
    asyncpg's ``Transaction``): the adapter commits or rolls it back. A COMMIT carries the
    scope's ``commit_with`` (before it) and the next transaction's BEGIN (after it, for a
    unit of work's ``read_after``) in its round trip; if the COMMIT fails, what follows it
    is not run."""

    __slots__ = ("_driver", "_scope")

    def __init__(self, driver: Any, scope: RequestDatabase) -> None:
        self._driver = driver
        self._scope = scope

    async def commit(self) -> None:
        scope = self._scope
        also, scope.commit_with = scope.commit_with, ""
        then, scope._commit_then = scope._commit_then, ""
        if scope._connection is not None:
            for statement in (also, then):
                if statement:
                    scope._announce(scope._connection, statement, ())
        sql = "; ".join(statement for statement in (also, "COMMIT", then) if statement)
        await self._driver.execute(sql)

    async def rollback(self) -> None:
        self._scope.commit_with = ""
        await self._driver.execute("ROLLBACK")


class PoolGate(asyncio.Semaphore):
    """A semaphore that knows how many wait at it (the pool's waiting requests, a metric)."""

    waiting = 0

    async def acquire(self) -> Literal[True]:
        if not self.locked():
            return await super().acquire()
        self.waiting += 1
        try:
            return await super().acquire()
        finally:
            self.waiting -= 1


# Per connection pool, per event loop: the gate in front of it.
_GATES: weakref.WeakKeyDictionary[
    Any, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PoolGate]
] = weakref.WeakKeyDictionary()


def waiting_for_connections(engine: AsyncEngine) -> int:
    """How many requests wait at the gate of ``engine``'s pool for a connection."""
    per_loop = _GATES.get(engine.sync_engine.pool)
    return sum(gate.waiting for gate in per_loop.values()) if per_loop else 0


def connection_gate(sessions: async_sessionmaker[AsyncSession]) -> PoolGate | None:
    """Admits as many request databases to the engine's pool as it has connections, in the
    order they ask, each until it closes.

    A request holds its connection from its first statement to its end. Past the pool's
    size, requests used to wait in the pool's own queue, where a request arriving just as
    a connection came back could take it before one that had been waiting: under overload
    a few requests waited ten seconds and timed out while the median was 0.3 s (bench,
    64 concurrent clients). asyncio's semaphore is first come, first served.

    None for a pool without a bound (nothing to wait for)."""
    pool = sessions.kw["bind"].sync_engine.pool
    overflow = getattr(pool, "_max_overflow", -1)
    if not hasattr(pool, "size") or overflow < 0:
        return None
    loop = asyncio.get_running_loop()
    per_loop = _GATES.setdefault(pool, weakref.WeakKeyDictionary())
    gate = per_loop.get(loop)
    if gate is None:
        # Its size plus the overflow connections it may open.
        gate = per_loop[loop] = PoolGate(max(pool.size() + overflow, 1))
    return gate
