"""The subscription benchmark: N graphql-transport-ws subscribers on one server process while
incidents are created at M per second for a fixed time.

Latency of one delivery: the instant the driver read the bytes of a subscriber's `next`
message (bench.websocket_client: a lean client, so the driver keeps up), minus the instant
of the commit of the `createIncident` that caused it. The commit happens on the server,
between the instant the load generator sent the mutation and the instant it received the
response (which comes after the commit, and after the read that follows it: the incident's
number is handed out at commit, db/numbering.py); so each delivery has two latencies, from
the sending (an upper bound of commit→delivery: it includes the mutation's own work) and
from the response (a lower bound: negative when the delivery beat the response, kept so).
The target is judged on the upper bound. All instants come from one monotonic clock in
this one process.

Losses and duplicates are counted per subscriber against every incident the generator
created after all subscribers were subscribed; memory per connection is the server's RSS
after subscribing minus before, divided by N. The server's CPU time per event (the mutation,
its relay, the subscription's execution and its delivery to all N) is steadier than latency
on a shared machine; one core's second divided by it is the rate at which the process would
saturate. The driver's own CPU share is reported: near 100 % means the figures measure the
driver, not the server.

After the main measurement, the same subscribers go through a short ramp of rates (a few
seconds each): its first rate whose p99 exceeds TARGET_P99_MS or that loses an event is
where one process saturates, measured rather than extrapolated from CPU per event. The ramp
goes on past a late rate (its CPU per event at higher rates shows what batching saves) and
stops after one that lost events.

The driver's cyclic garbage collector is off while a window is measured, and collects
between windows (bench.driver.collector_paused): holding a thousand subscribers' state, its full
collections took 130-170 ms every few seconds, and every delivery read during one was
timed late (the first ramp rate's p99 at 190 ms, "saturated at 5 events/s", while the
server's own collections stayed under 50 ms)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
import psutil

from bench.driver import Connection, HttpError, collector_paused
from bench.websocket_client import WebSocket, connect

# What the wallboard subscribes to (incident fields resolved per delivery, team and assignee
# across subgraphs), and the bare minimum for isolating the delivery path.
SELECTIONS = {
    "wallboard": "id kind incident { id number title status priority openedAt "
    "assignee { name } team { name } }",
    "ids": "id kind incident { id }",
}
CREATE = "mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }"
HANDSHAKES_AT_ONCE = 50
GENERATOR_CONNECTIONS = 8
DRAIN_SECONDS = 15.0
TARGET_P99_MS = 100.0  # the wallboard's promise: commit to screen within this, nothing lost

Timing = tuple[float, float]  # a mutation's instants: sent, and its response received
PONG = '{"type":"pong"}'


class Subscriber:
    """One subscriber's socket and what it received; messages are handled in the socket's
    read callback (bench.websocket_client), stamped with the instant they were read."""

    def __init__(self) -> None:
        self.socket: WebSocket | None = None
        self.arrivals: list[tuple[str, float]] = []  # (incident id, instant)
        self.event_ids: list[str] = []
        self.errors: list[str] = []
        self.acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def seen(self) -> set[str]:
        return {incident for incident, _ in self.arrivals}

    def on_message(self, raw: bytes, now: float) -> None:
        message = orjson.loads(raw)
        kind = message["type"]
        if kind == "next":
            payload = message["payload"]
            if payload.get("errors"):
                self.errors.append(str(payload["errors"]))
                return
            event = payload["data"]["incidentEvents"]
            self.arrivals.append((event["incident"]["id"], now))
            self.event_ids.append(event["id"])
        elif kind == "ping":
            assert self.socket is not None
            self.socket.send(PONG)
        elif kind == "connection_ack":
            self.acknowledged.set_result(None)
        elif kind in ("error", "complete"):
            self.errors.append(f"{kind}: {message.get('payload')}")


@dataclass
class Step:
    """One rate of the ramp."""

    rate: float
    mutations: int
    mutation_errors: int
    server_cpu_ms_per_event: float
    deliveries: int = 0
    lost: int = 0
    p99_ms: float = float("nan")

    def saturated(self) -> bool:
        """Past what the process sustains: late (p99 over the target) or losing events."""
        return (
            self.lost + self.mutation_errors > 0
            or self.mutations == 0
            or not self.p99_ms <= TARGET_P99_MS  # a NaN p99 (nothing delivered) is saturated
        )


@dataclass
class Result:
    subscribers: int
    rate: float
    seconds: float
    selection: str
    mutations: int
    mutation_errors: int
    connect_seconds: float
    rss_before_mb: float
    rss_after_mb: float
    kib_per_connection: float
    server_cpu_percent: float
    server_cpu_ms_per_event: float
    driver_cpu_percent: float
    # Filled in from the subscribers' records by `summarise`.
    deliveries: int = 0
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    subscriber_errors: int = 0
    first_error: str | None = None
    # From the mutation's sending (the upper bound, judged against the target) ...
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    # ... and from its response (the lower bound; some deliveries come before it).
    p50_after_response_ms: float = float("nan")
    p99_after_response_ms: float = float("nan")
    early_deliveries: int = 0
    # The ramp: each rate's figures, and the first saturated rate (None: none was).
    ramp: list[Step] = field(default_factory=list)
    saturation_rate: float | None = None


async def subscribe(port: int, token: str, query: str) -> Subscriber:
    """Connect, authenticate in connection_init, wait for the ack, subscribe."""
    subscriber = Subscriber()
    socket = subscriber.socket = await asyncio.wait_for(
        connect("127.0.0.1", port, "/graphql", "graphql-transport-ws", subscriber.on_message),
        60,
    )
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    socket.send(orjson.dumps(init).decode())  # the protocol speaks text frames
    await asyncio.wait_for(subscriber.acknowledged, 60)
    socket.send(
        orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}).decode()
    )
    return subscriber


async def generate(
    port: int, headers: dict[str, str], rate: float, seconds: float, created: dict[str, Timing]
) -> int:
    """createIncident at `rate` per second for `seconds` on a few keep-alive connections;
    each created id is stamped with the instants its mutation was sent and answered.
    Returns the failures."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(GENERATOR_CONNECTIONS):
        connection = Connection("127.0.0.1", port, headers)
        await connection.open()
        pool.put_nowait(connection)
    failures = 0

    async def create(number: int) -> None:
        nonlocal failures
        connection = await pool.get()
        variables = {"input": {"title": f"Subscription bench {number}", "impact": "HIGH"}}
        try:
            sent = time.perf_counter()
            data = await connection.graphql(CREATE, variables)
            created[data["createIncident"]["id"]] = (sent, time.perf_counter())
        except (HttpError, OSError, asyncio.IncompleteReadError):
            failures += 1
            await connection.close()
            connection = Connection("127.0.0.1", port, headers)
            await connection.open()
        finally:
            pool.put_nowait(connection)

    started = time.perf_counter()
    tasks = []
    for number in range(round(rate * seconds)):
        await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(create(number)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        await pool.get_nowait().close()
    return failures


async def drain(subscribers: list[Subscriber], expected: set[str]) -> None:
    """Wait until every subscriber has every expected event, or DRAIN_SECONDS pass."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if all(expected <= s.seen() for s in subscribers):
            return
        await asyncio.sleep(0.1)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def out_of_order(event_ids: list[str]) -> int:
    """Events whose id is not above the one before (ids increase along a stream)."""
    try:
        numbers = [int(ident) for ident in event_ids]
    except ValueError:
        return 0  # not numeric: order is not ours to judge
    return sum(1 for a, b in itertools.pairwise(numbers) if b <= a)


async def measure(
    *,
    port: int,
    server_pid: int,
    token: str,
    subscribers: int,
    rate: float,
    seconds: float,
    selection: str,
    ramp: Sequence[float] = (),
    ramp_seconds: float = 5.0,
) -> Result:
    query = f"subscription {{ incidentEvents {{ {SELECTIONS[selection]} }} }}"
    headers = {"Authorization": f"Bearer {token}"}
    server = psutil.Process(server_pid)
    driver = psutil.Process()
    # Warm the server's paths once (a subscriber, a mutation, its delivery) before "before".
    warm = await subscribe(port, token, query)
    await generate(port, headers, 1.0, 1.0, {})
    await asyncio.sleep(0.5)
    await close(warm)
    rss_before = server.memory_info().rss

    started = time.perf_counter()
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)

    async def one() -> Subscriber:
        async with gate:
            return await subscribe(port, token, query)

    opened = await asyncio.gather(*(one() for _ in range(subscribers)))
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)  # every subscribe processed before the first mutation
    rss_after = server.memory_info().rss

    created: dict[str, Timing] = {}
    server_cpu, driver_cpu = server.cpu_times(), driver.cpu_times()
    window = time.perf_counter()
    with collector_paused():
        failures = await generate(port, headers, rate, seconds, created)
        await drain(opened, set(created))
    window = time.perf_counter() - window
    server_used = sum(server.cpu_times()[:2]) - sum(server_cpu[:2])
    driver_used = sum(driver.cpu_times()[:2]) - sum(driver_cpu[:2])
    result = summarise(
        opened,
        created,
        Result(
            subscribers=subscribers,
            rate=rate,
            seconds=seconds,
            selection=selection,
            mutations=len(created),
            mutation_errors=failures,
            connect_seconds=connect_seconds,
            rss_before_mb=rss_before / 2**20,
            rss_after_mb=rss_after / 2**20,
            kib_per_connection=(rss_after - rss_before) / 1024 / subscribers,
            server_cpu_percent=100 * server_used / window,
            server_cpu_ms_per_event=1000 * server_used / max(1, len(created)),
            driver_cpu_percent=100 * driver_used / window,
        ),
    )
    for step_rate in ramp:
        result.ramp.append(await step(port, headers, server, opened, step_rate, ramp_seconds))
        if result.saturation_rate is None and result.ramp[-1].saturated():
            result.saturation_rate = step_rate
        if result.ramp[-1].lost:
            break  # a backlog it could not drain: higher rates would only measure that

    for subscriber in opened:
        await close(subscriber)
    return result


async def close(subscriber: Subscriber) -> None:
    if subscriber.socket is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(subscriber.socket.close(), 10)


async def step(
    port: int,
    headers: dict[str, str],
    server: psutil.Process,
    subscribers: list[Subscriber],
    rate: float,
    seconds: float,
) -> Step:
    """One rate of the ramp on the subscribers already listening; the server's CPU counts
    until every event is delivered (or the drain gives up), backlog included."""
    created: dict[str, Timing] = {}
    cpu = server.cpu_times()
    with collector_paused():
        failures = await generate(port, headers, rate, seconds, created)
        await drain(subscribers, set(created))
    used = sum(server.cpu_times()[:2]) - sum(cpu[:2])
    latencies: list[float] = []
    lost = 0
    for subscriber in subscribers:
        counts, arrived, _ = tally(subscriber, created)
        lost += len(created.keys() - counts.keys())
        latencies.extend(arrived)
    latencies.sort()
    return Step(
        rate=rate,
        mutations=len(created),
        mutation_errors=failures,
        server_cpu_ms_per_event=1000 * used / max(1, len(created)),
        deliveries=len(latencies),
        lost=lost,
        p99_ms=percentile(latencies, 99),
    )


def tally(
    subscriber: Subscriber, created: dict[str, Timing]
) -> tuple[Counter[str], list[float], list[float]]:
    """How often the subscriber got each created incident, and each delivery's latencies:
    from the mutation's sending, and from its response."""
    counts: Counter[str] = Counter()
    from_sent: list[float] = []
    from_response: list[float] = []
    for incident, arrived in subscriber.arrivals:
        if incident in created:
            counts[incident] += 1
            sent, answered = created[incident]
            from_sent.append(arrived - sent)
            from_response.append(arrived - answered)
    return counts, from_sent, from_response


def summarise(subscribers: list[Subscriber], created: dict[str, Timing], result: Result) -> Result:
    """Fill in the delivery figures: latencies, losses, duplicates, order, errors."""
    expected = set(created)
    latencies: list[float] = []
    after_response: list[float] = []
    for subscriber in subscribers:
        counts, arrived, answered = tally(subscriber, created)
        result.lost += len(expected - counts.keys())
        result.duplicates += sum(n - 1 for n in counts.values())
        result.out_of_order += out_of_order(subscriber.event_ids)
        result.subscriber_errors += len(subscriber.errors)
        result.first_error = result.first_error or next(iter(subscriber.errors), None)
        latencies.extend(arrived)
        after_response.extend(answered)
    latencies.sort()
    after_response.sort()
    result.deliveries = len(latencies)
    result.early_deliveries = sum(1 for latency in after_response if latency < 0)
    result.p50_ms = percentile(latencies, 50)
    result.p99_ms = percentile(latencies, 99)
    result.max_ms = latencies[-1] * 1000 if latencies else float("nan")
    result.p50_after_response_ms = percentile(after_response, 50)
    result.p99_after_response_ms = percentile(after_response, 99)
    return result


def report(r: Result) -> str:
    saturation = 1000 / r.server_cpu_ms_per_event if r.server_cpu_ms_per_event else float("inf")
    return "\n".join(
        [
            f"subscriptions: {r.subscribers} subscribers ({r.selection} selection), "
            f"{r.rate:g} mutations/s for {r.seconds:g} s",
            f"  connected and subscribed in {r.connect_seconds:.1f} s",
            f"  mutations {r.mutations} ({r.mutation_errors} failed), deliveries "
            f"{r.deliveries} of {r.mutations * r.subscribers} expected",
            f"  latency commit→delivery, at most (from the mutation's sending): p50 "
            f"{r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, max {r.max_ms:.1f} ms",
            f"  latency commit→delivery, at least (from its response): p50 "
            f"{r.p50_after_response_ms:.1f} ms, p99 {r.p99_after_response_ms:.1f} ms "
            f"({r.early_deliveries} deliveries before the response)",
            f"  lost {r.lost}, duplicates {r.duplicates}, out of order {r.out_of_order}, "
            f"subscriber errors {r.subscriber_errors}"
            + (f" (first: {r.first_error[:200]})" if r.first_error else ""),
            f"  server RSS {r.rss_before_mb:.0f} → {r.rss_after_mb:.0f} MB: "
            f"{r.kib_per_connection:.1f} KiB per connection",
            f"  CPU during the run: server {r.server_cpu_percent:.0f} %, "
            f"driver {r.driver_cpu_percent:.0f} %; server {r.server_cpu_ms_per_event:.1f} ms "
            f"per event (saturates near {saturation:.0f} events/s)",
            *ramp_report(r),
        ]
    )


def ramp_report(r: Result) -> list[str]:
    """The ramp's lines: each rate's p99, losses and CPU per event, then where it broke."""
    if not r.ramp:
        return []
    lines = [
        f"  ramp {s.rate:g} events/s: p99 {s.p99_ms:.1f} ms, lost {s.lost} of "
        f"{s.mutations * r.subscribers}, server {s.server_cpu_ms_per_event:.1f} ms per event"
        for s in r.ramp
    ]
    if r.saturation_rate is None:
        verdict = f"not saturated up to {r.ramp[-1].rate:g} events/s"
    else:
        verdict = f"saturated at {r.saturation_rate:g} events/s"
    lines.append(f"  {verdict} (p99 over {TARGET_P99_MS:g} ms or an event lost)")
    return lines


def failed(r: Result) -> bool:
    """Anything short of every event delivered once, in order, to every subscriber."""
    troubles = r.lost + r.duplicates + r.out_of_order + r.subscriber_errors + r.mutation_errors
    return troubles > 0 or r.mutations == 0
