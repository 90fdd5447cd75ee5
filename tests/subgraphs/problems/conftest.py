"""Fixtures of the problems subgraph's tests: the subgraph in-process for the test's tenant,
the router in-process (problems with the incidents, identity and cmdb subgraphs), and
helpers that make problems and run the read model's consumer."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import delete

from db.tables import events
from opsgraph.events.consumers import ConsumerRunner
from opsgraph.server import build_gateway
from router.gateway import Gateway
from subgraphs.cmdb import schema as cmdb_schema
from subgraphs.problems import schema as problems_schema
from subgraphs.problems.incident_facts import CONSUMER
from tests.support import Subgraph, error_codes, ok_in_router, run_in_router

CREATE_PROBLEM = """mutation($input: CreateProblemInput!) { createProblem(input: $input) {
  id number status priority } }"""
CREATE_INCIDENT = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) {
  id number } }"""


@pytest.fixture
def cmdb(new_context: Any) -> Subgraph:
    return Subgraph(cmdb_schema, new_context)


@pytest.fixture
def problems(new_context: Any) -> Subgraph:
    return Subgraph(problems_schema, new_context)


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return build_gateway()


# Operations through the router in-process (tests/support.py), under the names the tests use.
run = run_in_router
ok = ok_in_router
codes = error_codes


async def create_problem(problems: Subgraph, title: str = "Disk fills up", **fields: Any) -> Any:
    data = await problems.ok(CREATE_PROBLEM, input={"title": title, **fields})
    return data["createProblem"]


@pytest.fixture
async def catch_up(
    owner_sessions: Any, sessions: Any
) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """Runs the read model's consumer (problems.incident-facts) over the events committed
    since the test began, as the server's runner does; returns how many it handled. It runs
    under a name of the test's own, without its rebuild (which would start it from the oldest
    event other tests left), and its position goes with the test."""
    consumer = dataclasses.replace(CONSUMER, name=f"test.{uuid.uuid4().hex[:12]}", reset=None)
    runner = ConsumerRunner(consumer, owner_sessions, sessions)
    await runner.register()
    yield runner.drain
    async with owner_sessions() as session, session.begin():
        await session.execute(
            delete(events.ConsumerPosition).where(events.ConsumerPosition.name == runner.name)
        )
