"""`python -m bench.backup`: how long a backup, its verification and a restore take (the RTO)
for the demo data set (`make run`'s, scale 300) and the bench data set (bench/dataset.py:
100,000 incidents, 300,000 comments at scale 1), on a PostgreSQL server (default: the local
one at postgresql://postgres@127.0.0.1:5432/postgres), and, on an embedded cluster with WAL
archiving, the RPO (how long a committed write waits until its WAL segment is archived; with
`archive_timeout` 60 s, at most a minute) and a point-in-time recovery's duration. Writes
bench/results/backup.json. A benchmark, not a timed test."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from bench import dataset
from db.embedded import ARCHIVE_TIMEOUT, start_embedded
from db.engine import create_engine, session_factory
from opsgraph.backup.archive import create_backup, read_archive
from opsgraph.backup.pitr import recover
from opsgraph.backup.restore import restore_backup
from opsgraph.domains import REGISTRY
from opsgraph.seed import seed_demo
from opsgraph.settings import Settings

T = TypeVar("T")
RESULTS = Path(__file__).parent / "results" / "backup.json"
DEMO_SCALE = 300  # `opsgraph serve --demo`


@dataclass
class RoundTrip:
    data_set: str
    rows: int
    archive_mb: float
    create_s: float
    verify_s: float
    restore_s: float
    """The RTO: restore into an empty database, integrity checks included."""
    findings: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.backup", description=__doc__)
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a server's admin database (databases are created and dropped beside it)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="bench data set scale")
    parser.add_argument("--no-pitr", action="store_true", help="skip the embedded RPO/PITR part")
    return parser.parse_args()


def _url(admin: str, name: str) -> str:
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


async def _sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _seed_demo(url: str) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, scale=DEMO_SCALE)
    finally:
        await engine.dispose()


def _bench_loader(scale: float) -> Callable[[str], Coroutine[Any, Any, None]]:
    async def load(url: str) -> None:
        connection = await asyncpg.connect(url)
        try:
            await dataset.load(connection, scale=scale)
        finally:
            await connection.close()

    return load


def _timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def round_trip(
    admin: str, name: str, load: Callable[[str], Coroutine[Any, Any, None]], work: Path, key: bytes
) -> RoundTrip:
    source = f"bench_backup_{name}_{uuid.uuid4().hex[:8]}"
    target = f"{source}_restored"
    asyncio.run(_sql(admin, f'CREATE DATABASE "{source}"'))
    try:
        REGISTRY.migrations.upgrade(_url(admin, source))
        asyncio.run(load(_url(admin, source)))
        (path, manifest), create_s = _timed(
            lambda: create_backup(_url(admin, source), work / name, key)
        )
        _, verify_s = _timed(lambda: read_archive(path, key))
        (_, findings), restore_s = _timed(lambda: restore_backup(path, key, _url(admin, target)))
        return RoundTrip(
            data_set=name,
            rows=sum(table.rows for table in manifest.snapshot.tables.values()),
            archive_mb=round(path.stat().st_size / 1e6, 1),
            create_s=round(create_s, 1),
            verify_s=round(verify_s, 1),
            restore_s=round(restore_s, 1),
            findings=len(findings),
        )
    finally:
        for database in (source, target):
            asyncio.run(_sql(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def _write(url: str, slug: str) -> tuple[datetime, str]:
    """Commit a write; its commit instant and the WAL segment holding it."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("INSERT INTO tenancy.tenants (slug, name) VALUES ($1, $1)", slug)
        return (
            await connection.fetchval("SELECT clock_timestamp()"),
            await connection.fetchval("SELECT pg_walfile_name(pg_current_wal_lsn())"),
        )
    finally:
        await connection.close()


def _archived_after(archive: Path, segment: str, since: float) -> float:
    while not (archive / segment).exists():
        time.sleep(0.05)
    return time.perf_counter() - since


def pitr(work: Path, key: bytes) -> dict[str, float]:
    wal = work / "wal"
    server, url = start_embedded(work / "live", wal_archive=wal)
    try:
        REGISTRY.migrations.upgrade(url)
        asyncio.run(_seed_demo(url))
        (archive, _), base_s = _timed(lambda: create_backup(url, work / "pitr", key, base=True))
        # RPO: a write, then nothing; its segment is archived when archive_timeout forces a
        # switch. Until then a lost server would take the write with it.
        started = time.perf_counter()
        instant, segment = asyncio.run(_write(url, "rpo-probe"))
        rpo_s = _archived_after(wal, segment, started)
        _, after = asyncio.run(_write(url, "after-the-instant"))
        asyncio.run(_sql(url, "SELECT pg_switch_wal()"))
        _archived_after(wal, after, time.perf_counter())
    finally:
        server.stop()
    settings = replace(Settings(), wal_archive_dir=wal)
    findings, recover_s = _timed(
        lambda: recover(archive, key, instant, work / "recovered", settings)
    )
    return {
        "archive_timeout_s": ARCHIVE_TIMEOUT,
        "rpo_observed_s": round(rpo_s, 1),
        "base_backup_s": round(base_s, 1),
        "pitr_recover_s": round(recover_s, 1),
        "pitr_findings": len(findings),
    }


def main() -> None:
    args = parse_args()
    key = os.urandom(32)
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as directory:
        work = Path(directory)
        trips = [
            round_trip(args.database_url, "demo", _seed_demo, work, key),
            round_trip(args.database_url, "bench", _bench_loader(args.scale), work, key),
        ]
        recovery = None if args.no_pitr else pitr(work, key)
    print(
        f"{'data set':<8} {'rows':>9} {'archive MB':>10} {'create s':>8} {'verify s':>8} "
        f"{'restore s (RTO)':>15} {'findings':>8}"
    )
    for trip in trips:
        print(
            f"{trip.data_set:<8} {trip.rows:>9} {trip.archive_mb:>10} {trip.create_s:>8} "
            f"{trip.verify_s:>8} {trip.restore_s:>15} {trip.findings:>8}"
        )
    if recovery is not None:
        print(
            f"embedded, demo data: base backup {recovery['base_backup_s']} s; a write waited "
            f"{recovery['rpo_observed_s']} s to be archived (RPO <= archive_timeout "
            f"{recovery['archive_timeout_s']} s); point-in-time recovery "
            f"{recovery['pitr_recover_s']} s, {recovery['pitr_findings']} findings"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"round_trips": [asdict(t) for t in trips], "pitr": recovery}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
