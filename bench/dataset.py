"""The benchmark's data set, written with PostgreSQL COPY.

Deterministic for a given seed and scale: at scale 1, one tenant with 200 users, 20 teams,
100,000 incidents over two years and every status and priority, and 300,000 comments. A
marker row remembers what was loaded, so the next run reuses it; ANALYZE runs after a load."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

BENCH_TENANT = "bench"
STATUSES = ["OPEN", "IN_PROGRESS", "ON_HOLD", "RESOLVED", "CLOSED", "CANCELLED"]
STATUS_WEIGHTS = [20, 20, 5, 15, 35, 5]
LEVELS = ["LOW", "MEDIUM", "HIGH"]
PRIORITY = {("HIGH", "HIGH"): 4, ("HIGH", "MEDIUM"): 3, ("HIGH", "LOW"): 2,
            ("MEDIUM", "HIGH"): 3, ("MEDIUM", "MEDIUM"): 2, ("MEDIUM", "LOW"): 1,
            ("LOW", "HIGH"): 2, ("LOW", "MEDIUM"): 1, ("LOW", "LOW"): 1}  # fmt: skip
WORDS = [
    "network",
    "vpn",
    "printer",
    "email",
    "database",
    "disk",
    "latency",
    "outage",
    "login",
    "certificate",
    "dns",
    "firewall",
    "backup",
    "storage",
    "cluster",
    "node",
    "memory",
    "cpu",
    "timeout",
    "replica",
    "queue",
]


@dataclass(frozen=True)
class Shape:
    users: int
    teams: int
    incidents: int
    comments_per_incident: int

    @classmethod
    def at(cls, scale: float) -> Shape:
        """Incidents grow with the scale; people and teams only shrink below scale 1."""
        people = min(scale, 1.0)
        return cls(
            users=max(10, round(200 * people)),
            teams=max(3, round(20 * people)),
            incidents=max(100, round(100_000 * scale)),
            comments_per_incident=3,
        )


@dataclass(frozen=True)
class Loaded:
    tenant_id: uuid.UUID
    incidents: int
    seconds: float
    reused: bool


def _uuid(rnd: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rnd.getrandbits(128), version=4)


async def load(conn: asyncpg.Connection, *, scale: float = 1.0, seed: int = 7) -> Loaded:
    """Make sure the bench tenant holds the data set for (scale, seed); load it if not."""
    started = time.perf_counter()
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS public.bench_dataset (scale float8, seed int, "
        "tenant_id uuid, incidents int)"
    )
    marker = await conn.fetchrow("SELECT * FROM public.bench_dataset")
    if marker and marker["scale"] == scale and marker["seed"] == seed:
        await _restore(conn, marker["tenant_id"], marker["incidents"])
        return Loaded(marker["tenant_id"], marker["incidents"], 0.0, reused=True)
    shape = Shape.at(scale)
    rnd = random.Random(seed)
    tenant = _uuid(rnd)
    async with conn.transaction():
        await _clear(conn)
        await conn.execute(
            "INSERT INTO tenancy.tenants (id, slug, name) VALUES ($1, $2, 'Bench Corp')",
            tenant,
            BENCH_TENANT,
        )
        users, teams = await _identity(conn, rnd, tenant, shape)
        await _incidents(conn, rnd, tenant, shape, users, teams)
        await conn.execute(
            "INSERT INTO incidents.incident_numbers (tenant_id, last_number) VALUES ($1, $2)",
            tenant,
            shape.incidents,
        )
        await conn.execute("DELETE FROM public.bench_dataset")
        await conn.execute(
            "INSERT INTO public.bench_dataset VALUES ($1, $2, $3, $4)",
            scale,
            seed,
            tenant,
            shape.incidents,
        )
    await conn.execute("ANALYZE")
    return Loaded(tenant, shape.incidents, time.perf_counter() - started, reused=False)


@dataclass(frozen=True)
class WrittenNumbers:
    """The incident numbers the write scenario handed out after the data set's own."""

    created: int
    gapless: bool  # the next ones, each once, and the tenant's counter at the last
    consumers_behind: int = 0
    """Events the slowest consumer of incidents' events had not handled when last looked
    at (the bench waits a little for them): their work is part of what a write costs."""


async def consumers_behind(conn: asyncpg.Connection) -> int:
    """How many stamped events the slowest consumer of incidents' events has yet to handle
    (0 with no event or no such consumer)."""
    behind = await conn.fetchval(
        "SELECT coalesce(max(s.latest - p.last_seq), 0) FROM events.consumer_positions p, "
        "(SELECT max(seq) AS latest FROM events.outbox) s "
        "WHERE 'incidents' = ANY(p.domains) AND s.latest IS NOT NULL"
    )
    return max(int(behind), 0)


async def written_numbers(conn: asyncpg.Connection, tenant: uuid.UUID) -> WrittenNumbers:
    row = await conn.fetchrow(
        "SELECT d.incidents AS base, count(i.number) AS created, "
        "count(DISTINCT i.number) AS distinct_numbers, max(i.number) AS last, "
        "(SELECT last_number FROM incidents.incident_numbers WHERE tenant_id = $1) AS counter "
        "FROM public.bench_dataset d LEFT JOIN incidents.incidents i "
        "ON i.tenant_id = $1 AND i.number > d.incidents GROUP BY d.incidents",
        tenant,
    )
    base, created = row["base"], row["created"]
    last = row["last"] or base
    gapless = row["distinct_numbers"] == created and last == base + created == row["counter"]
    return WrittenNumbers(created, gapless)


async def _restore(conn: asyncpg.Connection, tenant: uuid.UUID, incidents: int) -> None:
    """Undo what an earlier run's write scenario added: its incidents are the newest OPEN
    ones, so a page measured after it would show them instead of the data set's."""
    async with conn.transaction():
        for table in ("incident_comments", "incident_changes"):
            await conn.execute(
                f"DELETE FROM incidents.{table} WHERE tenant_id = $1 AND incident_id IN "
                "(SELECT id FROM incidents.incidents WHERE tenant_id = $1 AND number > $2)",
                tenant,
                incidents,
            )
        await conn.execute(
            "DELETE FROM incidents.incidents WHERE tenant_id = $1 AND number > $2",
            tenant,
            incidents,
        )
        await conn.execute(
            "UPDATE incidents.incident_numbers SET last_number = $2 WHERE tenant_id = $1",
            tenant,
            incidents,
        )
        await conn.execute("DELETE FROM events.outbox WHERE tenant_id = $1", tenant)
        await _forget_positions(conn)
        await conn.execute("DELETE FROM audit.entries WHERE tenant_id = $1", tenant)


async def _forget_positions(conn: asyncpg.Connection) -> None:
    """With every event gone, the next `seq` is 1 again: consumer positions left from an
    earlier run (at its last `seq`) would take the new events for handled ones, and the
    write scenario would measure consumers with nothing to do. The server registers them
    afresh, at the latest event."""
    await conn.execute("DELETE FROM events.consumer_positions")


async def _clear(conn: asyncpg.Connection) -> None:
    """Remove a previous bench data set: every table's rows, whatever its tenant and whatever
    wrote them (the loader, the triggers deriving search tokens, the consumers, jobs and
    audit a write scenario set going), but the migrations' version and the data set's
    marker (consumer positions too: the next `seq` is 1 again). Migrations seed no rows; a
    table named in a list here was once forgotten."""
    tables = await conn.fetch(
        "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "AND (schemaname, tablename) NOT IN "
        "(('public', 'alembic_version'), ('public', 'bench_dataset'))"
    )
    await conn.execute("TRUNCATE " + ", ".join(table["name"] for table in tables))


async def _identity(
    conn: asyncpg.Connection, rnd: random.Random, tenant: uuid.UUID, shape: Shape
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    users = [_uuid(rnd) for _ in range(shape.users)]
    teams = [_uuid(rnd) for _ in range(shape.teams)]
    await conn.copy_records_to_table(
        "users",
        schema_name="identity",
        columns=["id", "tenant_id", "name", "email", "active", "roles"],
        records=[
            (u, tenant, f"User {i:04d}", f"user{i}@bench.example", True, ["operator"])
            for i, u in enumerate(users)
        ],
    )
    await conn.copy_records_to_table(
        "teams",
        schema_name="identity",
        columns=["id", "tenant_id", "name", "description"],
        records=[(t, tenant, f"Team {i:02d}", "") for i, t in enumerate(teams)],
    )
    await conn.copy_records_to_table(
        "team_members",
        schema_name="identity",
        columns=["team_id", "user_id", "tenant_id"],
        records=[(teams[i % len(teams)], u, tenant) for i, u in enumerate(users)],
    )
    return users, teams


async def _incidents(
    conn: asyncpg.Connection,
    rnd: random.Random,
    tenant: uuid.UUID,
    shape: Shape,
    users: list[uuid.UUID],
    teams: list[uuid.UUID],
) -> None:
    end = datetime(2026, 11, 1, tzinfo=UTC)
    span = timedelta(days=730).total_seconds()
    batch: list[tuple[Any, ...]] = []
    comments: list[tuple[Any, ...]] = []
    incident_columns = [
        "id",
        "tenant_id",
        "number",
        "title",
        "description",
        "status",
        "priority",
        "impact",
        "urgency",
        "category",
        "source",
        "assignee_id",
        "team_id",
        "reporter_id",
        "opened_at",
        "created_at",
        "updated_at",
        "hold_reason",
        "resolution_code",
        "resolution_notes",
        "cancel_reason",
    ]
    comment_columns = [
        "id",
        "tenant_id",
        "incident_id",
        "author_id",
        "body",
        "visibility",
        "created_at",
        "updated_at",
    ]
    for number in range(1, shape.incidents + 1):
        opened = end - timedelta(seconds=span * (1 - number / shape.incidents))
        impact, urgency = rnd.choice(LEVELS), rnd.choice(LEVELS)
        status = rnd.choices(STATUSES, STATUS_WEIGHTS)[0]
        words = rnd.sample(WORDS, 3)
        incident = _uuid(rnd)
        batch.append(
            (
                incident,
                tenant,
                number,
                f"{words[0].capitalize()} {words[1]} {words[2]} issue",
                f"Reported {words[0]} problem affecting {words[1]}.",
                status,
                PRIORITY[(impact, urgency)],
                impact,
                urgency,
                words[0],
                "MONITORING",
                rnd.choice(users) if status != "OPEN" else None,
                rnd.choice(teams),
                rnd.choice(users),
                opened,
                opened,
                opened + timedelta(minutes=rnd.randint(1, 600)),
                *LIFECYCLE[status],
            )
        )
        for c in range(shape.comments_per_incident):
            at = opened + timedelta(minutes=10 * (c + 1))
            comments.append(
                (
                    _uuid(rnd),
                    tenant,
                    incident,
                    rnd.choice(users),
                    f"Work note {c + 1}: checked {rnd.choice(WORDS)}.",
                    "WORK_NOTE",
                    at,
                    at,
                )
            )
        if len(batch) >= 20_000:
            await _flush(conn, batch, incident_columns, comments, comment_columns)
    await _flush(conn, batch, incident_columns, comments, comment_columns)


# What each status needs (the incidents' lifecycle rules): hold reason, resolution code and
# notes, cancel reason. Constant per status, so the generator's sequence is as before.
LIFECYCLE: dict[str, tuple[str | None, ...]] = {
    "OPEN": (None, None, None, None),
    "IN_PROGRESS": (None, None, None, None),
    "ON_HOLD": ("AWAITING_VENDOR", None, None, None),
    "RESOLVED": (None, "FIXED", "Fixed.", None),
    "CLOSED": (None, "FIXED", "Fixed.", None),
    "CANCELLED": (None, None, None, "Raised by mistake."),
}


async def _flush(
    conn: asyncpg.Connection,
    incidents: list[tuple[Any, ...]],
    incident_columns: list[str],
    comments: list[tuple[Any, ...]],
    comment_columns: list[str],
) -> None:
    if incidents:
        await conn.copy_records_to_table(
            "incidents", schema_name="incidents", columns=incident_columns, records=incidents
        )
        await conn.copy_records_to_table(
            "incident_comments", schema_name="incidents", columns=comment_columns, records=comments
        )
    incidents.clear()
    comments.clear()
