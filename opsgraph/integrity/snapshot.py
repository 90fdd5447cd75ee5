"""What a database holds, read in one transaction (for a backup, the one whose snapshot
pg_dump dumps): every table of OpsGraph's schemas with its row count and a checksum of its
rows, the tenant walls (row-level security flags and policies), the application role's
privileges, the outbox's last `seq`, the audit log's last entry and the schema revisions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.roles import APP_ROLE

# Rows are rendered as text for their checksum: fix every setting that changes the rendering.
RENDERING = (
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)


@dataclass(frozen=True)
class TableState:
    rows: int
    checksum: str
    """md5 over the sorted md5s of the rows' text: independent of physical order and of
    which partition holds a row."""


@dataclass(frozen=True)
class Snapshot:
    revisions: list[str]
    tables: dict[str, TableState]
    walls: list[str]
    """One line per table with row-level security or a policy: flags and policies."""
    grants: list[str]
    """One line per privilege the application role holds in OpsGraph's schemas."""
    outbox_last_seq: int
    audit_last_entry: dict[str, str] | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            revisions=list(data["revisions"]),
            tables={name: TableState(**state) for name, state in data["tables"].items()},
            walls=list(data["walls"]),
            grants=list(data["grants"]),
            outbox_last_seq=int(data["outbox_last_seq"]),
            audit_last_entry=data["audit_last_entry"],
        )


async def take(connection: AsyncConnection, schemas: tuple[str, ...]) -> Snapshot:
    """The snapshot of the database `connection` is in (call inside a transaction)."""
    for statement in RENDERING:
        await connection.execute(text(statement))
    return Snapshot(
        revisions=await revisions(connection),
        tables={
            name: await table_state(connection, name) for name in await tables(connection, schemas)
        },
        walls=await walls(connection, schemas),
        grants=await grants(connection, schemas),
        outbox_last_seq=int(
            await connection.scalar(text("SELECT coalesce(max(seq), 0) FROM events.outbox")) or 0
        ),
        audit_last_entry=await _audit_last_entry(connection),
    )


async def revisions(connection: AsyncConnection) -> list[str]:
    if await connection.scalar(text("SELECT to_regclass('public.alembic_version')")) is None:
        return []
    found = await connection.scalars(text("SELECT version_num FROM public.alembic_version"))
    return sorted(found)


async def tables(connection: AsyncConnection, schemas: tuple[str, ...]) -> list[str]:
    """Tables as the application sees them: a partitioned table whole (its partitions come
    and go with time: each start adds the coming months' and moves rows out of the default
    one), never its partitions."""
    found = await connection.scalars(
        text(
            "SELECT format('%s.%s', n.nspname, c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND n.nspname = ANY(:schemas) ORDER BY 1"
        ),
        {"schemas": list(schemas)},
    )
    return list(found)


async def table_state(connection: AsyncConnection, name: str) -> TableState:
    schema, table = name.split(".", 1)
    quoted = f'"{schema}"."{table}"'
    row = (
        await connection.execute(
            text(
                "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                f"FROM (SELECT md5(t::text) AS h FROM {quoted} t) rows"
            )
        )
    ).one()
    return TableState(rows=int(row[0]), checksum=str(row[1]))


async def walls(connection: AsyncConnection, schemas: tuple[str, ...]) -> list[str]:
    flags = await connection.execute(
        text(
            "SELECT format('%s.%s', n.nspname, c.relname), c.relrowsecurity, "
            "c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas) "
            "AND (c.relrowsecurity OR c.relforcerowsecurity)"
        ),
        {"schemas": list(schemas)},
    )
    lines = [
        f"{name}: row level security {'enabled' if on else 'disabled'}"
        f"{', forced' if forced else ''}"
        for name, on, forced in flags
    ]
    policies = await connection.execute(
        text(
            "SELECT format('%s.%s', schemaname, tablename), policyname, permissive, "
            "array_to_string(roles, ','), cmd, qual, with_check FROM pg_policies "
            "WHERE schemaname = ANY(:schemas)"
        ),
        {"schemas": list(schemas)},
    )
    lines += [
        f"{name}: policy {policy} {permissive} to {roles} for {cmd} "
        f"using ({qual}) with check ({check})"
        for name, policy, permissive, roles, cmd, qual, check in policies
    ]
    return sorted(lines)


async def grants(connection: AsyncConnection, schemas: tuple[str, ...]) -> list[str]:
    rows = await connection.execute(
        text(
            """
            WITH app AS (SELECT oid FROM pg_roles WHERE rolname = :role)
            SELECT format('%s ON SCHEMA %s', a.privilege_type, n.nspname)
            FROM pg_namespace n, aclexplode(n.nspacl) a, app
            WHERE a.grantee = app.oid AND n.nspname = ANY(:schemas)
            UNION ALL
            SELECT format('%s ON %s.%s', a.privilege_type, n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                 aclexplode(c.relacl) a, app
            WHERE a.grantee = app.oid AND n.nspname = ANY(:schemas)
            UNION ALL
            SELECT format('%s (%s) ON %s.%s', a.privilege_type, att.attname, n.nspname, c.relname)
            FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(att.attacl) a, app
            WHERE a.grantee = app.oid AND n.nspname = ANY(:schemas)
            """
        ),
        {"role": APP_ROLE, "schemas": list(schemas)},
    )
    return sorted(row[0] for row in rows)


async def _audit_last_entry(connection: AsyncConnection) -> dict[str, str] | None:
    row = (
        await connection.execute(
            text(
                "SELECT id, recorded_at, entity_type, entity_id FROM audit.entries "
                "ORDER BY recorded_at DESC, id DESC LIMIT 1"
            )
        )
    ).first()
    if row is None:
        return None
    return {
        "id": str(row.id),
        "recorded_at": row.recorded_at.isoformat(),
        "entity_type": row.entity_type,
        "entity_id": str(row.entity_id),
    }
