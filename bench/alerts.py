"""An alert storm through the Alertmanager receiver of a real server process: N alert
notifications (default 10,000) posted in S seconds (default 60) at an even pace, of which
20 % repeat an earlier notification as it was (Alertmanager's retries and reminders), 10 %
resolve an alert that fired earlier, and the rest fire new alerts. Prints the incidents
created (must equal the alerts fired), duplicates (incidents sharing a fingerprint while
open, or more than one per fingerprint: must be 0), refused or failed posts, the response
time's p50 and p99 (Alertmanager's default webhook timeout is 10 s), how long the last answer
took to come, and the server's CPU time per post (posts retried after a 5xx count each).

    python -m bench.alerts --database-url postgresql://postgres@127.0.0.1:5432/postgres \\
        [--alerts 10000] [--seconds 60] [--concurrency 64]

The database named by the URL is left alone: the storm runs in a fresh database beside it
(`opsgraph_bench_alerts`, dropped first), served by `opsgraph serve --demo`."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from bench import processes

DATABASE = "opsgraph_bench_alerts"
RETRIES = 5
CREATE = """mutation($name: String!) {
  createIntegration(input: {kind: ALERTMANAGER, name: $name}) { secret integration { id } }
}"""


@dataclass
class Storm:
    fired: int = 0
    repeats: int = 0
    resolves: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    retries: int = 0
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    """Seconds from the first post to the last answer."""
    server_cpu: float = 0.0
    """CPU seconds the server process (pinned to one core) used meanwhile."""


def notification(fingerprint: str, starts: str, status: str) -> dict[str, Any]:
    ends = "0001-01-01T00:00:00Z" if status == "firing" else starts
    return {
        "version": "4",
        "status": status,
        "receiver": "opsgraph",
        "groupKey": f'{{}}:{{fingerprint="{fingerprint}"}}',
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.bench",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": f"Bench{fingerprint[:4]}", "severity": "warning"},
                "annotations": {"summary": "storm"},
                "startsAt": starts,
                "endsAt": ends,
                "generatorURL": "http://prometheus.bench/graph",
                "fingerprint": fingerprint,
            }
        ],
    }


def plan(count: int, seed: int = 21) -> list[tuple[str, dict[str, Any]]]:
    """The storm's posts in order: (kind, body)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sent: list[dict[str, Any]] = []
    firing: list[tuple[str, str]] = []
    posts: list[tuple[str, dict[str, Any]]] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.2 and sent:
            posts.append(("repeat", rng.choice(sent)))
            continue
        if roll < 0.3 and firing:
            fingerprint, starts = firing.pop(rng.randrange(len(firing)))
            body = notification(fingerprint, starts, "resolved")
            kind = "resolve"
        else:
            fingerprint = f"{n:016x}"
            starts = (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
            firing.append((fingerprint, starts))
            body = notification(fingerprint, starts, "firing")
            kind = "fire"
        sent.append(body)
        posts.append((kind, body))
    return posts


async def storm(url: str, secret: str, count: int, seconds: float, concurrency: int) -> Storm:
    result = Storm()
    posts = plan(count)
    gate = asyncio.Semaphore(concurrency)
    headers = {"authorization": f"Bearer {secret}"}
    interval = seconds / count
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def send(body: dict[str, Any]) -> None:
            # As Alertmanager does: a 5xx or a failed connection is retried (after a pause).
            for attempt in range(RETRIES + 1):
                async with gate:
                    began = time.perf_counter()
                    try:
                        response = await http.post(url, json=body, headers=headers)
                        status = response.status_code
                    except httpx.TransportError:
                        status = 0
                    result.latencies.append(time.perf_counter() - began)
                if (status == 0 or status >= 500) and attempt < RETRIES:
                    result.retries += 1
                    await asyncio.sleep(1)
                    continue
                result.statuses[status] = result.statuses.get(status, 0) + 1
                return

        tasks = []
        began = time.perf_counter()
        for index, (kind, body) in enumerate(posts):
            result.fired += kind == "fire"
            result.repeats += kind == "repeat"
            result.resolves += kind == "resolve"
            delay = began + index * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(body)))
        await asyncio.gather(*tasks)
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


async def recreate(database_url: str) -> str:
    parts = urlsplit(database_url)
    connection = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql")))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await connection.close()
    return urlunsplit(parts._replace(path=f"/{DATABASE}"))


async def counts(database_url: str, integration: str) -> tuple[int, int]:
    """(incidents of the integration, fingerprints with more than one incident)."""
    url = urlunsplit(urlsplit(database_url)._replace(scheme="postgresql"))
    connection = await asyncpg.connect(url)
    try:
        created = await connection.fetchval(
            "SELECT count(*) FROM incidents.incidents WHERE integration_id = $1::uuid",
            integration,
        )
        duplicated = await connection.fetchval(
            "SELECT count(*) FROM (SELECT external_id FROM incidents.incidents "
            "WHERE integration_id = $1::uuid GROUP BY external_id HAVING count(*) > 1) AS d",
            integration,
        )
    finally:
        await connection.close()
    return int(created), int(duplicated)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    url = asyncio.run(recreate(args.database_url))
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as data:
        env = {
            "DATABASE_URL": url,
            "OPSGRAPH_DEFAULT_TENANT": "demo",
            "OPSGRAPH_DATA_DIR": data,
            "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0",
            "OPSGRAPH_LOG_LEVEL": "warning",
        }
        server = processes.ServerProcess(
            "opsgraph", processes.python("opsgraph.cli", "serve", "--demo"), env
        )
        try:
            base = f"http://127.0.0.1:{server.port}"
            answer = httpx.post(
                f"{base}/graphql", json={"query": CREATE, "variables": {"name": "storm"}}
            ).json()
            created = answer["data"]["createIntegration"]
            secret, integration = created["secret"], created["integration"]["id"]
            cpu, began = server.cpu_seconds(), time.perf_counter()
            result = asyncio.run(
                storm(
                    f"{base}/integrations/alertmanager",
                    secret,
                    args.alerts,
                    args.seconds,
                    args.concurrency,
                )
            )
            result.wall = time.perf_counter() - began
            result.server_cpu = server.cpu_seconds() - cpu
        finally:
            server.stop()  # also on Ctrl-C
    incidents, duplicated = asyncio.run(counts(url, integration))
    print(
        f"posted {args.alerts} notifications in {args.seconds:.0f} s: "
        f"{result.fired} firings, {result.repeats} repeats, {result.resolves} resolves"
    )
    print(
        f"final answers by status: {dict(sorted(result.statuses.items()))}, "
        f"retried after a 5xx: {result.retries}"
    )
    print(f"incidents created: {incidents} (expected {result.fired})")
    print(f"duplicates: {duplicated}")
    print(
        f"response p50 {percentile(result.latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(result.latencies, 0.99) * 1000:.1f} ms, "
        f"max {max(result.latencies, default=0) * 1000:.1f} ms"
    )
    posts = max(len(result.latencies), 1)
    print(
        f"all answered in {result.wall:.1f} s ({args.alerts / result.wall:.0f} posts/s); "
        f"server CPU {result.server_cpu:.1f} s, {result.server_cpu / posts * 1000:.1f} ms a post"
    )
    failed = duplicated or incidents != result.fired or set(result.statuses) != {200}
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
