"""`python -m bench`: load the data set, start OpsGraph and the floor (and PostGraphile when
asked), measure, report."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import os
import platform
import statistics
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import uvloop
from sqlalchemy.engine import make_url

from bench import dataset, postgraphile, processes, router_replay, statements, subscriptions
from bench.driver import Measurement, measure
from bench.lock_waits import LockWaits
from bench.scenarios import PAGE, PAGE_VARIABLES, Fixtures, build
from db.embedded import EmbeddedPostgres, ensure_database
from opsgraph.auth.setup import dev_issuer
from opsgraph.domains import REGISTRY
from opsgraph.settings import load_settings

BENCH_DATABASE = "opsgraph_bench"
RESULTS = Path(__file__).parent / "results"
CONSUMERS_WAIT = 30.0  # seconds the write scenario's events are given to be handled


@dataclass
class Row:
    scenario: str
    target: str
    concurrency: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    statements: float | None  # None: not counted (the peer's)
    rss_mb: float
    cpu_ms: float | None  # server CPU per request over the measurement
    db_cpu_ms: float | None  # the same for the PostgreSQL backends serving it
    first_error: str | None = None
    lock_waits: float | None = None  # backends waiting on a lock, on average (bench/lock_waits)
    rounds: list[float] | None = None  # req/s of each round (--rounds), in order

    @classmethod
    def of(
        cls,
        scenario: str,
        target: str,
        m: Measurement,
        statements: float | None,
        rss: float,
        lock_waits: float | None = None,
    ) -> Row:
        return cls(
            scenario,
            target,
            m.concurrency,
            m.rate,
            m.percentile(50),
            m.percentile(95),
            m.percentile(99),
            m.errors,
            statements,
            rss,
            m.cpu_ms_per_request,
            m.database_cpu_ms_per_request,
            m.first_error,
            lock_waits,
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load-test OpsGraph over HTTP against a separate bench database, side by "
        "side with a hand-written Python floor for the incidents page.",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="data set size: 1 = 100,000 incidents, 300,000 comments",
    )
    parser.add_argument("--seed", type=int, default=7, help="data set seed")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3.0, help="unrecorded seconds before")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated levels")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="where targets are compared (page, detail with --postgraphile), measure them in "
        "turn this many times, each a share of --duration, and merge the rounds",
    )
    parser.add_argument(
        "--scenarios",
        default="page,persisted,cached,detail,write,deep",
        help="comma-separated: page, persisted, cached, detail, write, deep",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0.0,
        help="then run the page at concurrency 16 this long, reporting RSS",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create the bench database on (default: "
        "DATABASE_URL's server, else the embedded PostgreSQL)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny and quick (CI): scale 0.01, 1 s measurements, levels 1,4",
    )
    parser.add_argument("--output", type=Path, help="JSON results file (default bench/results/)")
    parser.add_argument(
        "--postgraphile",
        action="store_true",
        help="also measure PostGraphile 5 on the page and detail scenarios (installs it with "
        "npm into .cache/bench-postgraphile the first time; needs node and npm)",
    )
    parser.add_argument(
        "--subscriptions",
        action="store_true",
        help="instead: the subscription benchmark (--subscribers, --rate, --duration)",
    )
    parser.add_argument(
        "--router-replay",
        action="store_true",
        help="instead: the router's side of the page's entity fetch, replayed in-process "
        "(--replay-runs per round, --replay-rounds rounds): steadier than any req/s",
    )
    parser.add_argument("--replay-runs", type=int, default=400, help="replays per round")
    parser.add_argument("--replay-rounds", type=int, default=5, help="rounds of replays")
    parser.add_argument(
        "--subscribers", type=int, default=1000, help="concurrent incidentEvents subscribers"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="createIncident per second")
    parser.add_argument(
        "--selection",
        choices=sorted(subscriptions.SELECTIONS),
        default="wallboard",
        help="what each subscriber selects: the wallboard's fields or just ids",
    )
    parser.add_argument(
        "--ramp",
        default="5,10,20,40,80",
        help="after the subscription measurement, these rates (events/s) a few seconds each "
        "(until one loses events); the first with p99 over 100 ms or a lost event is the "
        "saturation point ('' for none)",
    )
    parser.add_argument("--ramp-seconds", type=float, default=5.0, help="seconds of each ramp rate")
    args = parser.parse_args()
    if args.smoke:
        args.scale, args.duration, args.warmup, args.concurrency = 0.01, 1.0, 0.3, "1,4"
        args.subscribers, args.rate = min(args.subscribers, 20), min(args.rate, 5.0)
        args.ramp, args.ramp_seconds = "5,10", 1.0
        args.replay_runs, args.replay_rounds = 20, 2
    args.levels = [int(level) for level in args.concurrency.split(",")]
    args.ramp_rates = [float(rate) for rate in args.ramp.split(",") if rate.strip()]
    return args


def bench_database(args: argparse.Namespace) -> tuple[str, EmbeddedPostgres | None]:
    """The bench database's URL (created and migrated), never the demo database."""
    server = args.database_url or os.environ.get("DATABASE_URL")
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


async def prepare(url: str, scale: float, seed: int) -> tuple[dataset.Loaded, Fixtures]:
    conn = await asyncpg.connect(url)
    try:
        loaded = await dataset.load(conn, scale=scale, seed=seed)
        return loaded, await Fixtures.pick(conn, loaded.tenant_id)
    finally:
        await conn.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    url, embedded = bench_database(args)
    try:
        loaded, fixtures = asyncio.run(prepare(url, args.scale, args.seed))
        print(
            f"data set: {loaded.incidents:,} incidents "
            + ("(reused)" if loaded.reused else f"(loaded in {loaded.seconds:.1f} s)")
        )
        scenarios = build(fixtures)
        chosen = [scenarios[name] for name in args.scenarios.split(",")]
        counts = asyncio.run(statements.opsgraph_statements(url, loaded.tenant_id, chosen))
        floor_count, floor_body = asyncio.run(statements.floor_statements(url, loaded.tenant_id))
        if args.postgraphile:  # npm and node problems show before any server starts
            postgraphile.install()
        return measure_all(
            args, url, fixtures, loaded.tenant_id, chosen, counts, floor_count, floor_body
        )
    finally:
        if embedded is not None:
            embedded.stop()


def server_env(url: str, response_cache: bool = False) -> dict[str, str]:
    """OpsGraph as deployed: production settings over the bench database. The scenarios
    repeat identical queries: without ``response_cache`` they measure the work, not hits."""
    return {
        "DATABASE_URL": url,
        "OPSGRAPH_ENV": "production",
        "OPSGRAPH_LOG_LEVEL": "warning",
        "OPSGRAPH_DEFAULT_TENANT": dataset.BENCH_TENANT,
        "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0",  # measure throughput, not the limiter
        "OPSGRAPH_RESPONSE_CACHE_SIZE": "1000" if response_cache else "0",
    }


def run_router_replay(args: argparse.Namespace) -> router_replay.Replayed:
    """The router's side of the page's entity fetch, replayed in this process."""
    url, embedded = bench_database(args)
    try:
        loaded, _ = asyncio.run(prepare(url, args.scale, args.seed))
        return asyncio.run(
            router_replay.replay(
                url, loaded.tenant_id, runs=args.replay_runs, rounds=args.replay_rounds
            )
        )
    finally:
        if embedded is not None:
            embedded.stop()


def run_subscriptions(args: argparse.Namespace) -> subscriptions.Result:
    """The subscription benchmark on one `opsgraph serve` process; this process (pinned
    apart from the server) holds every subscriber and generates the mutations."""
    url, embedded = bench_database(args)
    try:
        loaded, _ = asyncio.run(prepare(url, args.scale, args.seed))
        # Every subscriber holds the one bench token: allow that many sockets for it.
        env = {
            **server_env(url),
            "OPSGRAPH_WS_MAX_CONNECTIONS_PER_PRINCIPAL": str(args.subscribers + 1),
        }
        command = processes.python("opsgraph.cli", "serve")
        opsgraph = processes.ServerProcess("opsgraph", command, env)
        try:
            authorize(opsgraph, loaded.tenant_id)
            processes.pin(os.getpid(), processes.DRIVER_CPU)
            processes.pin_postgres(processes.DRIVER_CPU)
            # uvloop, as the server runs: reading a thousand sockets costs the driver less.
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(
                    subscriptions.measure(
                        port=opsgraph.port,
                        server_pid=opsgraph.process.pid,
                        token=opsgraph.headers["Authorization"].removeprefix("Bearer "),
                        subscribers=args.subscribers,
                        rate=args.rate,
                        seconds=args.duration,
                        selection=args.selection,
                        ramp=args.ramp_rates,
                        ramp_seconds=args.ramp_seconds,
                    )
                )
        finally:
            opsgraph.stop()
    finally:
        if embedded is not None:
            embedded.stop()


@dataclass(frozen=True)
class Target:
    """A server measured in a scenario, with the SQL statements it sends per request (None:
    not counted)."""

    name: str
    server: Any  # a processes.ServerProcess, or PostGraphile's
    iteration: Any
    statements: float | None


def measure_rounds(
    args: argparse.Namespace, url: str, scenario: str, level: int, targets: list[Target]
) -> list[Row]:
    """Every target at ``level``, in turn, ``--rounds`` times (a share of the warm-up and
    of the duration each time; the first round warms up in full), merged per target. On a
    machine whose speed drifts by tens of percent within minutes, targets measured one after
    the other for the whole duration compare different phases of it; in rounds, each meets
    the same ones, and the per-round ratios show how far the phases moved them."""
    rounds = args.rounds if len(targets) > 1 else 1
    parts: dict[str, list[Measurement]] = {target.name: [] for target in targets}
    waits: list[float] = []
    for number in range(rounds):
        for target in targets:
            measured = functools.partial(
                drive,
                target.server,
                target.iteration,
                concurrency=level,
                warmup=args.warmup if number == 0 else args.warmup / rounds,
                duration=args.duration / rounds,
            )
            if target.name == "opsgraph":
                with LockWaits(url) as sampled:
                    parts[target.name].append(measured())
                waits.append(sampled.average)
            else:
                parts[target.name].append(measured())
    rows = []
    for target in targets:
        row = Row.of(
            scenario,
            target.name,
            Measurement.merged(parts[target.name]),
            target.statements,
            target.server.rss_mb(),
            statistics.fmean(waits) if target.name == "opsgraph" else None,
        )
        row.rounds = [part.rate for part in parts[target.name]]
        print_row(row)
        rows.append(row)
    return rows


def measure_all(
    args: argparse.Namespace,
    url: str,
    fixtures: Fixtures,
    tenant: uuid.UUID,
    chosen: list[Any],
    counts: dict[str, float],
    floor_count: int,
    floor_body: bytes,
) -> dict[str, Any]:
    opsgraph = processes.ServerProcess(
        "opsgraph", processes.python("opsgraph.cli", "serve"), server_env(url)
    )
    authorize(opsgraph, tenant)
    # The cached scenario gets its own server, with the response cache on.
    cached = None
    if any(scenario.response_cache for scenario in chosen):
        cached = processes.ServerProcess(
            "opsgraph-cached",
            processes.python("opsgraph.cli", "serve"),
            server_env(url, response_cache=True),
        )
        authorize(cached, tenant)
    floor = processes.ServerProcess(
        "floor",
        processes.python("bench.floor"),
        {"BENCH_DATABASE_URL": url, "BENCH_TENANT_ID": str(tenant)},
    )
    peer = None
    peer_iterations = postgraphile.iterations(fixtures)
    rows: list[Row] = []
    soak = numbers = None
    try:
        if args.postgraphile:
            peer = postgraphile.start(url, tenant)
        processes.pin(os.getpid(), processes.DRIVER_CPU)
        processes.pin_postgres(processes.DRIVER_CPU)
        same = check_same_page(opsgraph, floor_body)
        if peer is not None:
            # Before measuring: a peer serving other data would make the ratios meaningless.
            mismatched = asyncio.run(postgraphile.answer_differences(opsgraph, peer, fixtures))
            if mismatched:
                raise SystemExit(
                    "PostGraphile's answers differ from OpsGraph's:\n  " + "\n  ".join(mismatched)
                )
            print("PostGraphile and OpsGraph serve the same page and details")
        for scenario in chosen:
            server = cached if scenario.response_cache and cached is not None else opsgraph
            for level in args.levels:
                targets = [Target("opsgraph", server, scenario.iteration, counts[scenario.name])]
                if scenario.name == "page":
                    targets.append(Target("floor", floor, scenario.iteration, floor_count))
                if peer is not None and scenario.name in postgraphile.SCENARIOS:
                    iteration = peer_iterations[scenario.name]
                    targets.append(Target("postgraphile", peer, iteration, None))
                rows.extend(measure_rounds(args, url, scenario.name, level, targets))
            if scenario.name == "write":
                numbers = asyncio.run(written_numbers(url, tenant))
                print(
                    f"write: {numbers.created} incidents created, numbers gapless: "
                    + ("yes" if numbers.gapless else "NO")
                    + ", consumers caught up: "
                    + (
                        "yes"
                        if not numbers.consumers_behind
                        else f"NO, {numbers.consumers_behind} events behind"
                    ),
                    flush=True,
                )
            if scenario.name == "page" and args.soak:
                # Before any write scenario: its incidents would become the page's.
                soak = run_soak(args, opsgraph, chosen)
    finally:
        opsgraph.stop()
        floor.stop()
        if cached is not None:
            cached.stop()
        if peer is not None:
            peer.stop()
    return {
        "rows": [asdict(r) for r in rows],
        "same_page_as_floor": same,
        "soak": soak,
        "write_numbers": asdict(numbers) if numbers is not None else None,
    }


async def written_numbers(url: str, tenant: uuid.UUID) -> dataset.WrittenNumbers:
    """The write scenario's numbers, once the event consumers have handled its events (or
    `CONSUMERS_WAIT` seconds have passed: then how far behind they are)."""
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + CONSUMERS_WAIT
        while (behind := await dataset.consumers_behind(conn)) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        numbers = await dataset.written_numbers(conn, tenant)
        return dataclasses.replace(numbers, consumers_behind=behind)
    finally:
        await conn.close()


def drive(
    server: processes.ServerProcess,
    iteration: Any,
    *,
    concurrency: int,
    warmup: float,
    duration: float,
) -> Measurement:
    return asyncio.run(
        measure(
            "127.0.0.1",
            server.port,
            iteration,
            concurrency=concurrency,
            warmup=warmup,
            duration=duration,
            headers=server.headers,
            server_cpu=server.cpu_seconds,
            database_cpu=server.database_cpu_seconds,
        )
    )


def authorize(server: processes.ServerProcess, tenant: uuid.UUID) -> None:
    """Give the driver a token from the server's development issuer (production settings
    refuse anonymous requests), so the measurements include token validation."""
    settings = dataclasses.replace(load_settings(), host="127.0.0.1", port=server.port)
    token = dev_issuer(settings).mint(
        {"sub": "bench", "tenant_id": str(tenant), "roles": ["admin"]}, 24 * 3600
    )
    server.headers = {"Authorization": f"Bearer {token}"}


def check_same_page(server: processes.ServerProcess, floor_body: bytes) -> bool:
    """OpsGraph and the floor must serve the same JSON, or the comparison means nothing."""
    import httpx

    response = httpx.post(
        f"http://127.0.0.1:{server.port}/graphql",
        json={"query": PAGE, "variables": PAGE_VARIABLES},
        headers=server.headers,
        timeout=30,
    )
    return bool(orjson.loads(response.content) == orjson.loads(floor_body))


def run_soak(
    args: argparse.Namespace, server: processes.ServerProcess, chosen: list[Any]
) -> dict[str, Any]:
    page = next(s for s in chosen if s.name == "page")
    before = server.rss_mb()
    m = drive(server, page.iteration, concurrency=16, warmup=0, duration=args.soak)
    after = server.rss_mb()
    print(
        f"soak {args.soak:.0f} s @16: {m.rate:.0f} req/s, {m.errors} errors, "
        f"RSS {before:.0f} → {after:.0f} MB"
        + (f" (first error: {m.first_error[:200]})" if m.first_error else "")
    )
    return {
        "seconds": args.soak,
        "errors": m.errors,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "requests_per_s": m.rate,
    }


HEADER = (
    f"{'scenario':<9} {'target':<12} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'errors':>6} {'SQL/req':>7} {'CPU ms':>7} {'DB CPU':>7} {'RSS MB':>7} "
    f"{'waits':>6}"
)


def print_row(r: Row) -> None:
    statements = "-" if r.statements is None else f"{r.statements:.1f}"
    cpu, db_cpu = ("-" if ms is None else f"{ms:.2f}" for ms in (r.cpu_ms, r.db_cpu_ms))
    waits = "-" if r.lock_waits is None else f"{r.lock_waits:.1f}"
    print(
        f"{r.scenario:<9} {r.target:<12} {r.concurrency:>4} {r.requests_per_s:>8.1f} "
        f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>6} "
        f"{statements:>7} {cpu:>7} {db_cpu:>7} {r.rss_mb:>7.0f} {waits:>6}"
        + (f"  first error: {r.first_error[:200]}" if r.first_error else ""),
        flush=True,
    )


# OpsGraph's throughput as a multiple of each reference's, where a reference ran.
REFERENCES = (("floor", "floor"), ("postgraphile", "PostGraphile"))
TARGETS = ("opsgraph", *(name for name, _ in REFERENCES))


def print_ratios(rows: list[dict[str, Any]]) -> None:
    """Per scenario and level, in the order measured: OpsGraph's req/s as × floor and
    × PostGraphile, and every target's CPU ms per request, its own + its database's."""
    found = {(r["scenario"], r["target"], r["concurrency"]): r for r in rows}
    for row in rows:
        scenario, level = row["scenario"], row["concurrency"]
        if row["target"] != "opsgraph":
            continue
        ratios = [
            f"{row['requests_per_s'] / other['requests_per_s']:.2f} × {label}"
            + _round_ratios(row, other)
            for name, label in REFERENCES
            if (other := found.get((scenario, name, level))) and other["requests_per_s"]
        ]
        if not ratios:
            continue
        measured = [found[key] for name in TARGETS if (key := (scenario, name, level)) in found]
        cpu = [
            f"{r['target']} {r['cpu_ms']:.2f}"
            + (f" + {r['db_cpu_ms']:.2f}" if r["db_cpu_ms"] is not None else "")
            for r in measured
            if r["cpu_ms"] is not None
        ]
        print(
            f"{scenario} @{level}: OpsGraph = {', '.join(ratios)}"
            + (f"  (CPU ms/req, server + PostgreSQL: {', '.join(cpu)})" if cpu else "")
        )


def _round_ratios(row: dict[str, Any], other: dict[str, Any]) -> str:
    """The lowest and highest of the ratios measured round by round (none for one round)."""
    pairs = list(zip(row.get("rounds") or (), other.get("rounds") or (), strict=False))
    ratios = [ours / theirs for ours, theirs in pairs if theirs]
    if len(ratios) < 2:
        return ""
    return f" (rounds {min(ratios):.2f}–{max(ratios):.2f})"


SIDE_BY_SIDE = ("page", "persisted", "cached")


def print_side_by_side(rows: list[dict[str, Any]]) -> None:
    """The same nested page sent as text, as an APQ hash, and served from the cache."""
    found = {
        (r["scenario"], r["concurrency"]): r
        for r in rows
        if r["target"] == "opsgraph" and r["scenario"] in SIDE_BY_SIDE
    }
    for level in sorted({level for _, level in found}):
        shown = [
            f"{name} {found[name, level]['requests_per_s']:.0f} req/s "
            f"(p50 {found[name, level]['p50_ms']:.1f} ms)"
            for name in SIDE_BY_SIDE
            if (name, level) in found
        ]
        if len(shown) > 1:
            print(f"page @{level}, freeform vs persisted vs cached: " + " | ".join(shown))


def write(args: argparse.Namespace, result: dict[str, Any], started: float) -> None:
    output = args.output or RESULTS / time.strftime("%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    result["settings"] = {k: v for k, v in vars(args).items() if k != "output"}
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["started"] = started
    output.write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {output}")


def main() -> None:
    args = parse_args()
    pinning = "server on CPU 0, driver and PostgreSQL on CPU 1"
    print(f"pinning: {pinning if processes.can_pin() else 'off (fewer than 2 CPUs)'}")
    started = time.time()
    if args.subscriptions:
        measured = run_subscriptions(args)
        print(subscriptions.report(measured), flush=True)
        write(args, {"subscriptions": asdict(measured)}, started)
        if subscriptions.failed(measured):
            raise SystemExit(1)
        return
    if args.router_replay:
        replayed = run_router_replay(args)
        print(router_replay.report(replayed), flush=True)
        write(args, {"router_replay": router_replay.as_json(replayed)}, started)
        return
    print(HEADER)
    result = run(args)
    print_ratios(result["rows"])
    print_side_by_side(result["rows"])
    print(f"OpsGraph and the floor serve the same page: {result['same_page_as_floor']}")
    write(args, result, started)
    failed = sum(r["errors"] for r in result["rows"]) + (result["soak"] or {}).get("errors", 0)
    if failed or not result["same_page_as_floor"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
