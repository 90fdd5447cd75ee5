"""`opsgraph jobs status`: the queue's counts per kind, as a table and as JSON."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.scope import SET_TENANT
from db.tenants import create_tenant
from opsgraph.cli import main
from resolvers.jobs import enqueue


def test_jobs_status_counts_due_and_scheduled_jobs(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = f"test.cli-{uuid.uuid4().hex[:8]}"

    async def prepare() -> None:
        owner_engine = create_engine(database_url)
        app_engine = create_engine(app_database_url(database_url))
        try:
            async with session_factory(owner_engine)() as session, session.begin():
                tenant = await create_tenant(session, f"t-{uuid.uuid4().hex[:10]}", "CLI")
            async with session_factory(app_engine)() as session, session.begin():
                await session.execute(SET_TENANT, {"tenant": str(tenant)})
                await enqueue(session, kind, tenant, {})
                later = datetime.now(UTC) + timedelta(hours=1)
                await enqueue(session, kind, tenant, {}, at=later)
        finally:
            await owner_engine.dispose()
            await app_engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["jobs", "status", "--json"]) == 0
    statuses = {status["kind"]: status for status in json.loads(capsys.readouterr().out)}
    assert statuses[kind] == {
        "kind": kind,
        "queued": 1,
        "scheduled": 1,
        "running": 0,
        "failed": 0,
        "succeeded": 0,
    }
    assert "webhooks.deliver" in statuses  # every registered kind, with or without jobs
    assert main(["jobs", "status"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "KIND",
        "DEPTH",
        "QUEUED",
        "SCHEDULED",
        "RUNNING",
        "FAILED",
        "SUCCEEDED",
    ]
    assert [line.split() for line in table if line.startswith(kind)] == [
        [kind, "2", "1", "1", "0", "0", "0"]
    ]
