"""The whole path of issue 20's reactions: the problems domain's own mutations, through the
router in-process, write their events; the incidents domain's consumer (declared in its
manifest, run by the real runner) reacts to them. Neither subgraph knows the other: only the
outbox joins them."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import events
from opsgraph.domains import REGISTRY
from opsgraph.events.consumers import ConsumerRunner
from router.gateway import Gateway
from tests.subgraphs.problems.conftest import ok

Sessions = async_sessionmaker[AsyncSession]
CREATE_INCIDENT = "mutation($t: String!) { createIncident(input: {title: $t}) { id } }"
TRANSITION = """mutation($id: ID!, $input: TransitionIncidentInput!) {
  transitionIncident(id: $id, input: $input) { toStatus } }"""
CREATE_PROBLEM = """mutation { createProblem(input: {title: "Core switch drops packets"}) {
  id number } }"""
LINK = """mutation($p: ID!, $ids: [ID!]!) { linkIncidents(problemId: $p, incidentIds: $ids) {
  id } }"""
PUBLISH = """mutation($p: ID!) {
  publishWorkaround(id: $p, workaround: "Route through the standby switch") { id } }"""
UPDATE_PROBLEM = """mutation($p: ID!, $input: UpdateProblemInput!) {
  updateProblem(id: $p, input: $input) { status } }"""
READ = """query($id: ID!) { incident(id: $id) { status holdReason problem { number }
  comments { body visibility } } }"""
HOLD_FOR_PROBLEM = {"status": "ON_HOLD", "holdReason": "AWAITING_PROBLEM"}
HOLD_FOR_VENDOR = {"status": "ON_HOLD", "holdReason": "AWAITING_VENDOR"}
RESOLVE = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Rebooted."}


@pytest.fixture
async def reactions(owner_sessions: Sessions, sessions: Sessions) -> AsyncIterator[ConsumerRunner]:
    """The incidents domain's consumer as its manifest declares it, under a name of the
    test's own (its position starts after what is committed so far, and goes with the test)."""
    (declared,) = (
        c for c in REGISTRY.consumers(["incidents"]) if c.name == "incidents.problem-reactions"
    )
    consumer = dataclasses.replace(declared, name=f"test.{uuid.uuid4().hex[:12]}")
    runner = ConsumerRunner(consumer, owner_sessions, sessions)
    await runner.register()
    yield runner
    async with owner_sessions() as session, session.begin():
        await session.execute(
            delete(events.ConsumerPosition).where(events.ConsumerPosition.name == runner.name)
        )


async def incident(gateway: Gateway, new_context: Any, title: str, *moves: Any) -> str:
    id = str((await ok(gateway, new_context(), CREATE_INCIDENT, t=title))["createIncident"]["id"])
    for move in moves:
        await ok(gateway, new_context(), TRANSITION, id=id, input=move)
    return id


async def read(gateway: Gateway, new_context: Any, id: str) -> dict[str, Any]:
    return (await ok(gateway, new_context(), READ, id=id))["incident"]  # type: ignore[no-any-return]


def notes(incident: dict[str, Any], text: str) -> int:
    return sum(text in c["body"] and c["visibility"] == "WORK_NOTE" for c in incident["comments"])


async def test_workarounds_and_resolution_reach_the_linked_incidents(
    gateway: Gateway, new_context: Any, owner_sessions: Sessions, reactions: ConsumerRunner
) -> None:
    waiting = await incident(gateway, new_context, "Shop down", HOLD_FOR_PROBLEM)
    vendor = await incident(gateway, new_context, "Mail slow", HOLD_FOR_VENDOR)
    open_ = await incident(gateway, new_context, "VPN drops")
    resolved = await incident(gateway, new_context, "Printer", RESOLVE)
    problem = (await ok(gateway, new_context(), CREATE_PROBLEM))["createProblem"]
    p = problem["id"]
    await ok(gateway, new_context(), LINK, p=p, ids=[waiting, vendor, open_, resolved])
    await ok(gateway, new_context(), PUBLISH, p=p)
    start = (await read(gateway, new_context, open_))["comments"]

    handled = await reactions.drain()

    assert handled >= 2  # the link and the workaround
    workaround = "Route through the standby switch"
    for id in (waiting, vendor, open_):
        seen = await read(gateway, new_context, id)
        assert notes(seen, workaround) == 1, seen
        assert seen["problem"] == {"number": problem["number"]}
    assert notes(await read(gateway, new_context, resolved), workaround) == 0

    # Delivered again (the position rewound, as after a crash before it was written):
    # nothing is noted twice.
    async with owner_sessions() as session, session.begin():
        await session.execute(
            update(events.ConsumerPosition)
            .where(events.ConsumerPosition.name == reactions.name)
            .values(last_seq=0)
        )
    await reactions.drain()
    for id in (waiting, vendor, open_):
        assert notes(await read(gateway, new_context, id), workaround) == 1
    assert len((await read(gateway, new_context, open_))["comments"]) == len(start) + 1

    # Linked after the workaround was published: it gets the workaround on linking.
    late = await incident(gateway, new_context, "Shop slow")
    await ok(gateway, new_context(), LINK, p=p, ids=[late])
    await reactions.drain()
    assert notes(await read(gateway, new_context, late), workaround) == 1

    for move in (
        {"status": "ASSESS"},
        {"status": "ROOT_CAUSE_ANALYSIS"},
        {"status": "FIX_IN_PROGRESS", "rootCause": "A failing line card"},
        {"status": "RESOLVED", "resolutionCode": "FIX_APPLIED", "resolutionNotes": "Replaced"},
    ):
        await ok(gateway, new_context(), UPDATE_PROBLEM, p=p, input=move)
    await reactions.drain()

    released = await read(gateway, new_context, waiting)
    assert (released["status"], released["holdReason"]) == ("IN_PROGRESS", None)
    assert notes(released, "resolved") == 1
    held = await read(gateway, new_context, vendor)  # waits for its vendor, not the problem
    assert (held["status"], held["holdReason"]) == ("ON_HOLD", "AWAITING_VENDOR")
    assert notes(held, "resolved") == 1
    assert (await read(gateway, new_context, open_))["status"] == "OPEN"
    assert (await read(gateway, new_context, resolved))["status"] == "RESOLVED"
