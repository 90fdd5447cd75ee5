"""`python -m bench.cmdb`: the CMDB scenario. 100,000 CIs and 300,000 relationships
(bench/cmdb_topology.py); the DOWNSTREAM impact of a core switch at depth 20, redundancy on,
with each CI's open incidents when the incidents subgraph contributes them — one query
through the in-process router, as a client sends it. Prints p50/p99, the blast radius, the
SQL statements per request and the garbage collector's share (collections paced as the
server paces them); then the same for the impact analysis alone (impact.analyse),
to show where the time goes: first the process's first analysis, which loads the tenant's
graph into memory (with the growth of the process's RSS it caused), then analyses on the
graph kept current, then the statement that answers when it cannot be used; then deleting
a CI nothing refers to (its checks run against the whole data set); last, a page of CIs
filtered by an attribute's value, with its count, for a value hundreds hold and for one none
does, by a range of numbers, for one a few hold and for one none does, and by class, for
the rarest and for one with a subclass. A benchmark, not a timed test."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import os
import resource
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench import cmdb_dataset
from db.embedded import EmbeddedPostgres, ensure_database
from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.scope import RequestDatabase
from opsgraph.domains import REGISTRY
from opsgraph.gc_tuning import CollectionPacer, tune_garbage_collector
from opsgraph.server import build_gateway
from opsgraph.settings import load_settings
from resolvers.context import Context
from subgraphs.cmdb.graph_enums import ImpactDirection
from subgraphs.cmdb.impact import analyse, by_statement

BENCH_DATABASE = "opsgraph_bench_cmdb"  # apart from the incidents bench: it clears its own
BLAST = """query Blast($id: ID!) {
  configurationItem(id: $id) {
    name
    impact(direction: DOWNSTREAM, depth: 20, redundancyAware: true) {
      nodes { distance ci { id name%s } }
    }
  }
}"""
OPEN_INCIDENTS = " openIncidents { number priority }"
CREATE_CI = """mutation($name: String!) {
  createConfigurationItem(input: {className: "Server", name: $name}) { id }
}"""
DELETE_CI = "mutation($id: ID!) { deleteConfigurationItem(id: $id) }"
# A page of CIs by a filter (`$value` its variable's value, `%s` its type), counted.
FILTERED_PAGE = """query($value: %s) {
  configurationItems(filter: %s, pagination: {first: 20}) {
    totalCount
    edges { node { name } }
  }
}"""
BY_ATTRIBUTE = FILTERED_PAGE % ("JSON!", '{attributes: [{name: "deviceType", eq: $value}]}')
BY_RANGE = FILTERED_PAGE % ("JSON!", '{attributes: [{name: "cpuCount", gte: $value}]}')
BY_CLASS = FILTERED_PAGE % ("[String!]!", "{className: $value}")
# Pages of CIs by a filter, counted: the line's label, the query, its variables, what the
# CIs counted are. An attribute value many CIs hold (the switches) and one none holds; a CPU
# count one server in 500 has and one none has; the rarest class and one with a subclass
# (Server: its virtual machines too).
FILTERED = (
    ("attribute filter (switch)", BY_ATTRIBUTE, {"value": "switch"}, "the switches"),
    ("attribute filter (firewall)", BY_ATTRIBUTE, {"value": "firewall"}, "none holds it"),
    ("attribute range (>= 128)", BY_RANGE, {"value": 128}, "one server in 500"),
    ("attribute range (>= 256)", BY_RANGE, {"value": 256}, "none has as many"),
    ("class filter (StorageDevice)", BY_CLASS, {"value": ["StorageDevice"]}, "its class"),
    ("class filter (Server)", BY_CLASS, {"value": ["Server"]}, "with virtual machines"),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cmdb", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 CIs")
    parser.add_argument("--seed", type=int, default=11, help="topology seed")
    parser.add_argument("--requests", type=int, default=100, help="measured requests")
    parser.add_argument("--warmup", type=int, default=10, help="unrecorded requests before")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create the bench database on (default: DATABASE_URL's "
        "server, else the embedded PostgreSQL)",
    )
    parser.add_argument("--smoke", action="store_true", help="scale 0.02, 10 requests (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.scale, args.requests, args.warmup = 0.02, 10, 2
    return args


def bench_database(server: str | None) -> tuple[str, EmbeddedPostgres | None]:
    """The bench database's URL (created and migrated), never the demo database."""
    embedded = None
    if server is None:
        embedded = EmbeddedPostgres(load_settings().data_dir)
        embedded.start()
        server = embedded.url("postgres")
    admin = make_url(server).set(drivername="postgresql", database="postgres")
    asyncio.run(ensure_database(admin.render_as_string(hide_password=False), BENCH_DATABASE))
    url = admin.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    REGISTRY.migrations.upgrade(url)
    return url, embedded


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Timed:
    """The wall-clock milliseconds of each request, the process's CPU milliseconds per
    request (this process runs the router and every subgraph; the rest of a request's time
    is PostgreSQL's and the wait for it), and the last answer."""

    samples: list[float]
    cpu_ms: float
    last: Any


async def timed(run: Callable[[], Awaitable[Any]], requests: int, warmup: int) -> Timed:
    for _ in range(warmup):
        await run()
    samples, last = [], None
    cpu = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        last = await run()
        samples.append((time.perf_counter() - started) * 1000)
    return Timed(samples, (time.process_time() - cpu) * 1000 / requests, last)


class CollectorTime:
    """The garbage collector's collections and time while counting (gc.callbacks)."""

    def __init__(self) -> None:
        self.collections = 0
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections += 1
            self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.collections, self.seconds = 0, 0.0

    def per_request(self, requests: int) -> str:
        return (
            f"GC {self.collections} collections, {self.seconds * 1000 / requests:.1f} ms "
            "per request"
        )


Served = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


@contextlib.asynccontextmanager
async def paced_collections() -> AsyncIterator[Served]:
    """Collections by the clock, as `opsgraph serve`'s main loop makes them, between the
    requests run through what this yields (counted in flight as the server counts them)."""
    pacer = CollectionPacer(load_settings().gc_interval_seconds or None, time.monotonic)

    async def ticks() -> None:
        while True:
            await asyncio.sleep(0.1)
            pacer.tick()

    async def served(run: Callable[[], Awaitable[Any]]) -> Any:
        pacer.started()
        try:
            return await run()
        finally:
            pacer.finished()

    task = asyncio.create_task(ticks())
    try:
        yield served
    finally:
        task.cancel()


def line(name: str, run: Timed, statements: float, extra: str) -> str:
    samples = run.samples
    return (
        f"{name:<28} p50 {percentile(samples, 50):7.1f} ms   p99 {percentile(samples, 99):7.1f} "
        f"ms   mean {statistics.fmean(samples):7.1f} ms   CPU {run.cpu_ms:5.1f} ms   "
        f"{statements:4.1f} statements   {extra}"
    )


async def measure(url: str, loaded: cmdb_dataset.Loaded, requests: int, warmup: int) -> None:
    engine = create_engine(app_database_url(url))
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    gateway = build_gateway()
    # As `opsgraph serve` does (opsgraph/gc_tuning.py), with its OPSGRAPH_GC_* settings.
    tune_garbage_collector(load_settings().gc_threshold)
    collector = CollectorTime()
    gc.callbacks.append(collector)
    sessions = session_factory(engine)
    principal = REGISTRY.roles.principal(
        loaded.tenant_id, frozenset({"admin"}), subject="bench", authenticated=True
    )
    ci_fields = gateway.supergraph.schema.get_type("ConfigurationItem").fields  # type: ignore[union-attr]
    with_incidents = "openIncidents" in ci_fields
    blast = BLAST % (OPEN_INCIDENTS if with_incidents else "")

    async def through_the_router(
        query: str = blast, variables: dict[str, Any] | None = None
    ) -> Any:
        context = Context.open(
            sessions, principal=principal, entity_presence=gateway.entity_presence
        )
        try:
            body = await gateway.execute(
                query, variables or {"id": str(loaded.core_switch)}, None, context
            )
        finally:
            await context.close()
        if body.get("errors"):
            raise SystemExit(f"the query failed: {body['errors'][:3]}")
        return body

    async def analysis(how: Callable[..., Awaitable[Any]] = analyse) -> Any:
        db = RequestDatabase(sessions, loaded.tenant_id)
        try:
            if how is by_statement:
                return await how(
                    db, [loaded.core_switch], ImpactDirection.DOWNSTREAM, 20, None, True
                )
            return await how(db, [loaded.core_switch], ImpactDirection.DOWNSTREAM, 20)
        finally:
            await db.close()

    try:
        rss = _rss_mb()
        started = time.perf_counter()
        await analysis()  # the first: the graph loaded
        print(
            f"first analysis (graph loaded) {(time.perf_counter() - started) * 1000:7.1f} ms   "
            f"peak RSS +{_rss_mb() - rss:.0f} MB"
        )
        counted[0] = 0
        collector.reset()
        async with paced_collections() as served:
            routed = await timed(lambda: served(through_the_router), requests, warmup)
        per_request = counted[0] / (requests + warmup)
        nodes = routed.last["data"]["configurationItem"]["impact"]["nodes"]
        incidents = sum(len(n["ci"].get("openIncidents") or ()) for n in nodes)
        shown = f"{incidents} open incidents" if with_incidents else "no openIncidents field"
        print(line("blast radius, router", routed, per_request, f"{len(nodes)} CIs, {shown}"))
        print(f"{'':<28} {collector.per_request(requests + warmup)}")
        counted[0] = 0
        in_memory = await timed(analysis, requests, warmup)
        per_request = counted[0] / (requests + warmup)
        reached = len(in_memory.last.reached)
        print(line("impact, graph in memory", in_memory, per_request, f"{reached} CIs"))
        counted[0] = 0
        statement = await timed(lambda: analysis(by_statement), requests // 5, warmup // 5)
        per_request = counted[0] / (requests // 5 + warmup // 5)
        reached = len(statement.last.reached)
        print(line("impact statement + spread", statement, per_request, f"{reached} CIs"))
        plain = await analyse_plain(sessions, loaded)
        print(f"reachable without redundancy (what the statement reads): {plain} CIs")
        # Deleting a CI nothing refers to: its checks (relationships, reference attributes)
        # against the whole data set; created first, untimed.
        deletes, warm = max(requests // 5, 1), warmup // 5
        made = []
        for _ in range(deletes + warm):
            name = f"bench-delete-{uuid.uuid4().hex[:12]}"
            body = await through_the_router(CREATE_CI, {"name": name})
            made.append(body["data"]["createConfigurationItem"]["id"])
        pending = iter(made)
        counted[0] = 0
        deleted = await timed(
            lambda: through_the_router(DELETE_CI, {"id": next(pending)}), deletes, warm
        )
        per_request = counted[0] / (deletes + warm)
        print(line("delete a CI", deleted, per_request, "nothing refers to it"))
        # Lists filtered, counted, behind the tenant wall.
        for label, query, variables, what in FILTERED:
            counted[0] = 0
            filtered = await timed(
                functools.partial(through_the_router, query, variables),
                requests // 5,
                warmup // 5,
            )
            per_request = counted[0] / (requests // 5 + warmup // 5)
            total = filtered.last["data"]["configurationItems"]["totalCount"]
            print(line(label, filtered, per_request, f"{total} CIs: {what}"))
    finally:
        gc.callbacks.remove(collector)
        await engine.dispose()


def _rss_mb() -> float:
    """The process's peak resident set (Linux reports kB): what loading a graph grew it by."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def analyse_plain(sessions: Any, loaded: cmdb_dataset.Loaded) -> int:
    db = RequestDatabase(sessions, loaded.tenant_id)
    try:
        impact = await analyse(
            db, [loaded.core_switch], ImpactDirection.DOWNSTREAM, 50, redundancy_aware=False
        )
    finally:
        await db.close()
    return len(impact.reached)


def main() -> None:
    args = parse_args()
    url, embedded = bench_database(args.database_url or os.environ.get("DATABASE_URL"))
    try:
        loaded = asyncio.run(cmdb_dataset.load(url, scale=args.scale, seed=args.seed))
        how = "reused" if loaded.reused else f"loaded in {loaded.seconds:.1f} s"
        print(
            f"data set: {loaded.cis:,} CIs, {loaded.relationships:,} relationships, "
            f"{loaded.incidents:,} open incidents ({how}); core switch {loaded.core_switch}"
        )
        asyncio.run(measure(url, loaded, args.requests, args.warmup))
    finally:
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
