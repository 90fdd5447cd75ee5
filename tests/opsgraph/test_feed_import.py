"""`opsgraph cmdb import FILE`: a JSON-lines feed streamed into upsertConfigurationItems in
calls of CHUNK items, relationships to later lines made at the end, refused lines reported;
the command itself against the test database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from db.tenants import create_tenant
from opsgraph import feed_import
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from subgraphs.cmdb import tables
from tests.support import count_rows


def line(external_id: str, class_name: str, name: str, **more: Any) -> str:
    return json.dumps({"externalId": external_id, "className": class_name, "name": name, **more})


# The VMs name the cluster of a later line, across the calls of 2 items.
FEED = [
    line(
        "vm-1", "VirtualMachine", "web-1", relationships=[{"type": "MEMBER_OF", "externalId": "cl"}]
    ),
    "",
    line(
        "vm-2", "VirtualMachine", "web-2", relationships=[{"type": "MEMBER_OF", "externalId": "cl"}]
    ),
    "{not json",
    line("vm-3", "VirtualMachine", "web-3", attributes={"os": "beos"}),
    line("cl", "Cluster", "web"),
    json.dumps({"externalId": "x", "className": "Server", "name": 7}),
]


async def test_a_feed_streams_in_chunks_and_links_to_later_lines(
    sessions: Any, owner_sessions: Any, tenant_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_import, "CHUNK", 2)
    gateway = build_gateway()
    admin = REGISTRY.roles.principal(tenant_id, frozenset({"admin"}), authenticated=True)
    calls: list[int] = []

    async def execute(variables: dict[str, Any]) -> dict[str, Any]:
        calls.append(len(variables["input"]["items"]))
        context = Context.open(sessions, principal=admin, entity_presence=gateway.entity_presence)
        try:
            return await gateway.execute(feed_import.UPSERT, variables, None, context)
        finally:
            await context.close()

    reported: list[str] = []
    totals = await feed_import.import_feed(
        execute, "vcenter", FEED, lambda t: reported.append(t.summary())
    )
    again = await feed_import.import_feed(execute, "vcenter", FEED)

    # Calls of 2, 2 (the malformed lines are not sent), then the two VMs once more.
    assert calls[:3] == [2, 2, 2]
    assert (
        totals.summary()
        == "6 items: 3 created, 0 updated, 0 unchanged, 3 failed; 2 relationships added"
    )
    assert [(r.line, r.external_id, r.code) for r in totals.refused] == [
        (4, "", "BAD_USER_INPUT"),
        (5, "vm-3", "BAD_USER_INPUT"),
        (7, "x", "BAD_USER_INPUT"),
    ]
    assert "attributes.os" in totals.refused[1].message
    assert reported[-1] == totals.summary()
    assert again.outcomes == {"UNCHANGED": 3, "FAILED": 3} and again.relationships_added == 0
    assert await count_rows(owner_sessions, tables.CiRelationship, tenant_id) == 2


async def test_the_command_loads_a_file(
    database_url: str, owner_sessions: Any, tmp_path: Path
) -> None:
    async with owner_sessions() as session, session.begin():
        slug = f"feed-{uuid.uuid4().hex[:8]}"
        await create_tenant(session, slug, "Feed")
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(FEED) + "\n")

    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "opsgraph.cli", "cmdb", "import", str(path), "--source", "vcenter"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url, "OPSGRAPH_DEFAULT_TENANT": slug},
    )

    assert result.returncode == 1, result.stderr  # some lines were refused
    assert result.stdout.strip().endswith(
        "6 items: 3 created, 0 updated, 0 unchanged, 3 failed; 2 relationships added"
    )
    assert "line 5: vm-3: BAD_USER_INPUT" in result.stderr
