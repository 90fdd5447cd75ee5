"""The router's side of the page's entity fetch, replayed: a figure steadier than req/s.

The page's root fetch runs once through OpsGraph's gateway, in this process, over the bench
database; then its entity fetch (the router finding the users and teams the incidents name,
their representations, putting the identity subgraph's answers in place) runs again and
again on copies of that tree, the identity subgraph's answer handed back as it first came.
No server, socket or database is timed: only the router's own work on a real page. On
machines whose speed drifts by tens of per cent within minutes, a change of a few per cent
there shows here and in no req/s figure. Each replay's tree is checked against the one the
real fetch left."""

from __future__ import annotations

import copy
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bench.driver import collector_paused
from bench.scenarios import PAGE, PAGE_VARIABLES
from db.engine import create_engine, session_factory
from db.roles import app_database_url
from opsgraph.domains import REGISTRY
from opsgraph.server import build_gateway
from resolvers.context import Context
from router.execution import PlanExecution, SubgraphRequest, SubgraphResponse, Transport
from router.execution.one_tree import one_tree
from router.execution.tree import objects_in
from router.planning import FlattenNode, SequenceNode


@dataclass(frozen=True)
class Replayed:
    objects: int  # the objects waiting at the entity fetch's paths
    representations: int  # the entities asked for
    rounds_us: list[float]  # per round, µs per replay

    @property
    def best_us(self) -> float:
        return min(self.rounds_us)


class _Recording:
    """The identity subgraph's transport, keeping its answer and what it was sent."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.request: SubgraphRequest | None = None
        self.response: SubgraphResponse | None = None

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        self.request = request
        self.response = await self.transport.fetch(request, context)
        return self.response


class _Answering:
    """The answer recorded, given again."""

    def __init__(self, response: SubgraphResponse) -> None:
        self.response = response

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        return self.response


async def replay(database_url: str, tenant: uuid.UUID, *, runs: int, rounds: int) -> Replayed:
    """Replay the page's entity fetch ``runs`` times a round, ``rounds`` rounds."""
    gateway = build_gateway()
    runner = gateway.runner
    prepared = gateway.prepare(PAGE, PAGE_VARIABLES, None)
    plan = prepared.plan
    assert isinstance(plan.node, SequenceNode), "the page is a root fetch, then an entity fetch"
    before, flattens = plan.node.nodes[:-1], plan.node.nodes[-1]
    assert isinstance(flattens, FlattenNode), "the page ends with its entity fetch"
    tree = one_tree(plan, runner.supergraph_schema)
    at_merge = tree.at_merge if tree is not None else None
    variables = dict(prepared.variables)

    engine = create_engine(app_database_url(database_url))
    principal = REGISTRY.roles.principal(
        tenant, frozenset({"admin"}), subject="bench", authenticated=True
    )
    context = Context.open(
        session_factory(engine), principal=principal, entity_presence=gateway.entity_presence
    )
    subgraph = flattens.node.subgraph
    recording = _Recording(runner.transports[subgraph])
    try:
        execution = PlanExecution(
            runner.schema, {**runner.transports, subgraph: recording}, variables, context, at_merge
        )
        for node in before:
            await execution.run(node)
        waiting = copy.deepcopy(execution.data)
        await execution.run(flattens)
    finally:
        await context.close()
        await engine.dispose()
    assert recording.request is not None and recording.response is not None
    assert not execution.errors, execution.errors
    merged = execution.data
    sent = (recording.request.variables or {})[flattens.node.representations_variable]
    objects = sum(len(objects_in(waiting, path)) for path in flattens.paths)

    transports = {**runner.transports, subgraph: _Answering(recording.response)}
    timings = []
    for _ in range(rounds):
        executions = []
        for _ in range(runs):
            replayed = PlanExecution(runner.schema, transports, variables, None, at_merge)
            replayed.data = copy.deepcopy(waiting)
            executions.append(replayed)
        with collector_paused():
            started = time.perf_counter()
            for replayed in executions:
                await replayed.run(flattens)
            timings.append((time.perf_counter() - started) / runs * 1e6)
        if executions[0].data != merged:
            raise AssertionError("a replay left another tree than the fetch did")
    return Replayed(objects, len(sent), timings)


def report(replayed: Replayed) -> str:
    rounds = " ".join(f"{us:.1f}" for us in replayed.rounds_us)
    return (
        f"router-side work of the page's entity fetch ({replayed.objects} objects, "
        f"{replayed.representations} entities), replayed: best {replayed.best_us:.1f} µs, "
        f"median {statistics.median(replayed.rounds_us):.1f} µs (rounds: {rounds})"
    )


def as_json(replayed: Replayed) -> dict[str, Any]:
    return {
        "objects": replayed.objects,
        "representations": replayed.representations,
        "rounds_us": replayed.rounds_us,
        "best_us": replayed.best_us,
    }
