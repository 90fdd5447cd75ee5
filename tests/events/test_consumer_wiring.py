"""The processes that serve a domain run its consumers: the in-process server every domain's,
a subgraph served alone its own (here without subscriptions: no hub, it polls). And the
`opsgraph events` commands."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from db import consumer_positions as positions
from db.engine import create_engine, session_factory
from db.outbox import stamp_committed
from db.tables.events import ConsumerPosition
from db.tenants import create_tenant
from opsgraph.cli import main
from opsgraph.domains import DOMAINS, Registry
from opsgraph.events.commands import status_table
from opsgraph.events.consumer_status import ConsumerStatus
from opsgraph.runtime import Runtime
from opsgraph.server import create_app
from opsgraph.settings import load_settings
from opsgraph.subgraph_app import create_subgraph_app
from resolvers.consumers import EventConsumer
from tests import throwaway_domain
from tests.events.consumer_support import (
    Sessions,
    add_events,
    bookmark_consumer,
    new_tenant,
    titles,
)

SOURCE = f"probe-{uuid.uuid4().hex[:10]}"
CONSUMER = bookmark_consumer(SOURCE, name="bookmarks.probe-bookmarks")
DATABASE_PREFIX = "opsgraph_consumer_wiring"
REGISTRY = Registry((*DOMAINS, dataclasses.replace(throwaway_domain.DOMAIN, consumers=(CONSUMER,))))


async def handled_by(
    build: Callable[[Runtime], Starlette], database: str, tmp_path: Path, owner: Sessions
) -> list[str]:
    """Serve the app `build` makes (lifespan run), add three events of the consumer's and
    return what it wrote once it has handled them."""
    settings = load_settings(
        {"DATABASE_URL": database, "OPSGRAPH_DATA_DIR": str(tmp_path)}, Path("/nonexistent")
    )
    runtime = Runtime(settings, registry=REGISTRY)
    await asyncio.to_thread(runtime.prepare)
    app = build(runtime)
    tenant = await new_tenant(owner)
    async with app.router.lifespan_context(app):
        await add_events(owner, tenant, range(3), SOURCE)
        async with asyncio.timeout(30):
            while len(written := await titles(owner, tenant)) < 3:
                await asyncio.sleep(0.05)
    return written


async def test_the_in_process_server_runs_every_domains_consumers(
    database: str, tmp_path: Path, owner: Sessions
) -> None:
    assert await handled_by(create_app, database, tmp_path, owner) == ["0", "1", "2"]


async def test_a_subgraph_served_alone_runs_its_domains_consumers(
    database: str, tmp_path: Path, owner: Sessions
) -> None:
    def bookmarks_subgraph(runtime: Runtime) -> Starlette:
        schema = throwaway_domain.DOMAIN.schema
        return create_subgraph_app(schema, runtime, None, REGISTRY.consumers(["bookmarks"]))

    assert await handled_by(bookmarks_subgraph, database, tmp_path, owner) == ["0", "1", "2"]


def test_the_registry_gives_the_consumers_of_the_domains_named() -> None:
    assert REGISTRY.consumers(["bookmarks"]) == (CONSUMER,)
    assert REGISTRY.consumers(["identity"]) == ()  # a domain that declares none
    assert CONSUMER in REGISTRY.consumers()
    with pytest.raises(KeyError, match="unknown subgraph"):
        REGISTRY.consumers(["nowhere"])


def test_two_consumers_of_one_name_are_refused() -> None:
    twice = dataclasses.replace(throwaway_domain.DOMAIN, consumers=(CONSUMER, CONSUMER))
    with pytest.raises(ValueError, match="declared twice"):
        Registry((*DOMAINS, twice))


async def _ignore(session: AsyncSession, event: object) -> None:
    """A handler for declarations that are refused before anything runs."""


@pytest.mark.parametrize(
    ("name", "domains", "message"),
    [
        ("", frozenset({"problems"}), "1 to 100 characters"),
        ("x" * 101, frozenset({"problems"}), "1 to 100 characters"),
        ("incidents.nothing", frozenset(), "reads no domain's events"),
    ],
)
def test_a_malformed_declaration_is_refused(
    name: str, domains: frozenset[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        EventConsumer(name=name, domains=domains, handle=_ignore)


def test_events_status_prints_each_consumers_lag(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against the run's database (the registered domains only): a position no registered
    domain declares is listed too, its lag counting every later event."""
    name, source = f"test.cli-{uuid.uuid4().hex[:8]}", f"probe-{uuid.uuid4().hex[:10]}"

    async def prepare() -> None:
        engine = create_engine(database_url)
        owner = session_factory(engine)
        try:
            async with owner() as session, session.begin():
                tenant = await create_tenant(session, f"t-{uuid.uuid4().hex[:10]}", "CLI")
                await stamp_committed(session, 10_000)
                await positions.register(session, name, {source}, from_oldest=False)
            await add_events(owner, tenant, range(2), source)
            async with owner() as session, session.begin():
                await stamp_committed(session, 10_000)
        finally:
            await engine.dispose()

    async def forget() -> None:
        """The run's database is shared: a position left behind would hold pruning back."""
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                await session.execute(delete(ConsumerPosition).where(ConsumerPosition.name == name))
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    try:
        assert main(["events", "status", "--json"]) == 0
        json_out = capsys.readouterr().out
        assert main(["events", "status"]) == 0
        table = capsys.readouterr().out
    finally:
        asyncio.run(forget())

    statuses = {status["name"]: status for status in json.loads(json_out)}
    assert statuses[name]["declared"] is False
    assert statuses[name]["lag_events"] >= 2
    assert statuses[name]["position"] < statuses[name]["latest_seq"]
    assert table.splitlines()[0].split()[:2] == ["CONSUMER", "POSITION"]
    assert f"{name} (declared by no registered domain)" in table


def test_events_replay_refuses_an_unknown_consumer(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["events", "replay", "nowhere.nothing"]) == 2
    assert "unknown event consumer 'nowhere.nothing'" in capsys.readouterr().err


def test_the_status_table_shows_a_failing_consumers_last_error() -> None:
    failing = ConsumerStatus(
        name="incidents.problem-reactions",
        declared=True,
        position=41,
        latest_seq=45,
        lag_events=3,
        lag_seconds=12.25,
        last_handled_at=datetime(2026, 12, 5, 16, 0, tzinfo=UTC),
        rebuilds=0,
        error_count=5,
        consecutive_failures=2,
        last_error="ValueError: no such incident",
        last_error_seq=42,
        last_error_at=datetime(2026, 12, 5, 16, 1, tzinfo=UTC),
    )
    waiting = dataclasses.replace(
        failing, name="problems.incident-facts", position=None, consecutive_failures=0
    )

    assert status_table([failing, waiting]).splitlines() == [
        "CONSUMER                     POSITION     LATEST  LAG  LAG SECONDS  LAST HANDLED"
        "               ERRORS",
        "incidents.problem-reactions  41           45      3    12.2         "
        "2026-12-05T16:00:00+00:00  5",
        "  failing 2x on event 42 since 2026-12-05T16:01:00+00:00: ValueError: no such incident",
        "problems.incident-facts      not started  45      -    -            -"
        "                          -",
    ]
