"""`python -m bench.webhooks`: webhook fan-out under load. 50 endpoints (HTTP receivers on
127.0.0.1, in a process of their own), 100 domain events a second for a bounded time, each
event matching `--fanout` of the endpoints by its webhook's filter; the events are committed
to the outbox as a domain's mutation writes them, the fan-out consumer and the job queue's
worker run as a server process runs them. Prints the delivery latency (event committed →
request received) p50/p99 and the events lost (a (webhook, event) pair never received: must
be 0). Runs on a fresh database of a PostgreSQL server (default: the local one). A benchmark,
not a timed test."""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from db.engine import create_engine, session_factory
from db.roles import app_database_url
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.events.consumers import ConsumerRunner
from opsgraph.jobs.runner import JobRunners
from subgraphs.webhooks import tables

DATABASE = "opsgraph_bench_webhooks"


def producer(url: str, tenant: str, rate: float, seconds: float, endpoints: int, sent: Any) -> None:
    """Commit `rate` incident events a second for `seconds` to the outbox, as the incidents
    domain's mutations write them (a process of its own, as requests are served elsewhere)."""

    async def produce() -> int:
        connection = await asyncpg.connect(url)
        started, count = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            due = int((time.monotonic() - started) * rate)
            while count < due:
                entity = uuid.uuid4()
                payload = {
                    "id": str(entity),
                    "number": count + 1,
                    "changes": {
                        "title": [None, "bench"],
                        "category": [None, f"g{count % endpoints}"],
                    },
                }
                await connection.execute(
                    "INSERT INTO events.outbox (tenant_id, domain, kind, entity_type, entity_id,"
                    " payload) VALUES ($1, 'incidents', 'incident.created', 'Incident', $2, $3)",
                    uuid.UUID(tenant),
                    entity,
                    json.dumps(payload),
                )
                count += 1
            await asyncio.sleep(0.002)
        await connection.close()
        return count

    sent.put((asyncio.run(produce()), seconds))


def receivers(count: int, ports: Any, received: Any, stop: Any) -> None:
    """`count` HTTP servers answering 204, each received (webhook-id, event id, time) sent on."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            at = time.time()
            event = json.loads(body)["data"]["eventId"]
            received.put((self.server.server_address[1], event, at))  # type: ignore[index]
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    servers = []
    for _ in range(count):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ports.put([s.server_address[1] for s in servers])
    stop.wait()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["OPSGRAPH_WEBHOOK_ALLOW_PRIVATE"] = "true"
    os.environ.setdefault("OPSGRAPH_WEBHOOK_RETRY_BASE_MS", "200")
    admin = await asyncpg.connect(args.database_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    await admin.close()
    url = make_url(args.database_url).set(database=DATABASE).render_as_string(hide_password=False)
    await asyncio.to_thread(REGISTRY.migrations.upgrade, url)

    ctx = multiprocessing.get_context("spawn")
    ports_queue, received, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    process = ctx.Process(target=receivers, args=(args.endpoints, ports_queue, received, stop))
    process.start()
    ports: list[int] = ports_queue.get(timeout=30)

    owner_engine = create_engine(url, pool_size=4, max_overflow=4)
    app_engine = create_engine(app_database_url(url), pool_size=20, max_overflow=10)
    owner, app = session_factory(owner_engine), session_factory(app_engine)
    async with owner() as session, session.begin():
        tenant = await create_tenant(session, "bench", "Bench")
        everything = {p for p in REGISTRY.event_catalogue.view_permission.values() if p}
        for index, port in enumerate(ports):
            groups = [f"g{(index + k) % args.endpoints}" for k in range(args.fanout)]
            await session.execute(
                insert(tables.Webhook).values(
                    tenant_id=tenant,
                    url=f"http://127.0.0.1:{port}/hook",
                    events=["incident.created"],
                    conditions=[{"field": "category", "in": groups}],
                    secret="whsec_" + "QUJD" * 8,
                    owner_permissions=sorted(everything),
                )
            )
    (consumer,) = REGISTRY.consumers(["webhooks"])
    fan_out = ConsumerRunner(consumer, owner, app, poll_interval=0.02)
    await fan_out.register()
    fan_out.start()
    jobs = JobRunners(REGISTRY.jobs(["webhooks"]), poll_interval=0.05)
    await jobs.start(url, app)

    made = ctx.Queue()
    writer = ctx.Process(
        target=producer,
        args=(
            url,
            str(tenant),
            args.rate,
            args.seconds,
            args.endpoints,
            made,
        ),
    )
    writer.start()
    sent, produce_seconds = await asyncio.to_thread(made.get, True, args.seconds + 60)
    writer.join(timeout=10)
    expected_pairs = sent * args.fanout

    # Drain: every (endpoint, event) pair, or give up after the grace period.
    pairs: dict[tuple[int, str], float] = {}
    deadline = time.monotonic() + args.grace
    while len(pairs) < expected_pairs and time.monotonic() < deadline:
        try:
            port, event, at = await asyncio.to_thread(received.get, True, 0.5)
        except Exception:
            continue
        pairs.setdefault((port, event), at)
    await jobs.stop()
    await fan_out.stop()
    stop.set()
    process.join(timeout=10)

    # Latency: event committed (its row's created_at) -> received.
    async with owner() as session:
        rows = await session.execute(
            text(
                "SELECT seq, extract(epoch FROM created_at) FROM events.outbox WHERE tenant_id = :t"
            ),
            {"t": tenant},
        )
        created = {str(seq): float(at) for seq, at in rows}
    latencies = sorted((at - created[event]) * 1000 for (_, event), at in pairs.items())
    await owner_engine.dispose()
    await app_engine.dispose()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "endpoints": args.endpoints,
        "events": sent,
        "events_per_s": round(sent / produce_seconds, 1),
        "fanout": args.fanout,
        "deliveries_expected": expected_pairs,
        "deliveries_received": len(pairs),
        "events_lost": expected_pairs - len(pairs),
        "latency_p50_ms": round(quantiles[49], 1),
        "latency_p99_ms": round(quantiles[98], 1),
        "latency_max_ms": round(latencies[-1], 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long events are made")
    parser.add_argument("--fanout", type=int, default=1, help="endpoints each event matches")
    parser.add_argument("--grace", type=float, default=60.0, help="seconds to wait for the rest")
    result = asyncio.run(run(parser.parse_args()))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
