"""The integrity rules, each a function of the database (and, after a restore, of the
snapshot the backup's manifest recorded) returning what it found wrong.

- `matches`: the database is the snapshot's: same revisions and tables, each with the same
  row count and checksum, the same walls and grants, the same outbox and audit-log ends.
- `numbers`: each registered numbering (a domain's manifest declares it) has, per tenant,
  exactly the numbers 1..last handed out, each once, and no row without one; a counter table
  (a table with a `last_number` column) that no domain declares is itself a finding.
- `outbox`: `seq` has no holes from the oldest retained event to the latest (pruning forgets
  published events from the bottom and always keeps the latest, so gapless is meant above
  the oldest retained one).
- `audit`: every audit entry's entity exists in its tenant, or an entry records its
  deletion (the shape `AuditRecord.deleted` writes: every changed field going to null);
  an entity type no domain declares is a finding.
- `walls`: every mapped table with a `tenant_id` has row-level security enabled and forced
  and the `tenant_wall` policy db/walls.py creates.
- `grants`: the application role exists, bypasses no wall, may use every migrated schema
  and holds a privilege on every mapped table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.roles import APP_ROLE
from opsgraph.domains import Registry
from opsgraph.integrity import snapshot
from opsgraph.integrity.snapshot import Snapshot

EXAMPLES = 5  # examples named in a finding


@dataclass(frozen=True)
class Finding:
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


async def verify(
    connection: AsyncConnection, registry: Registry, expected: Snapshot | None = None
) -> list[Finding]:
    """Every finding of every rule (and against `expected` when given), in one transaction."""
    found: list[Finding] = []
    if expected is not None:
        found += await matches(connection, registry, expected)
    found += await numbers(connection, registry)
    found += await outbox(connection)
    found += await audit(connection, registry)
    found += await walls(connection, registry)
    found += await grants(connection, registry)
    return found


async def matches(
    connection: AsyncConnection, registry: Registry, expected: Snapshot
) -> list[Finding]:
    actual = await snapshot.take(connection, registry.database_schemas)
    found: list[Finding] = []
    if actual.revisions != expected.revisions:
        found.append(
            Finding("revisions", f"schema at {actual.revisions}, the backup's {expected.revisions}")
        )
    for name in sorted(expected.tables.keys() - actual.tables.keys()):
        found.append(Finding("counts", f"table {name} is missing"))
    for name in sorted(actual.tables.keys() - expected.tables.keys()):
        found.append(Finding("counts", f"table {name} is not in the backup"))
    for name in sorted(expected.tables.keys() & actual.tables.keys()):
        want, have = expected.tables[name], actual.tables[name]
        if want.rows != have.rows:
            found.append(
                Finding("counts", f"{name} holds {have.rows} rows, the backup {want.rows}")
            )
        elif want.checksum != have.checksum:
            found.append(Finding("counts", f"{name}'s rows differ from the backup's (checksum)"))
    found += _differences("walls", expected.walls, actual.walls)
    found += _differences("grants", expected.grants, actual.grants)
    if actual.outbox_last_seq != expected.outbox_last_seq:
        found.append(
            Finding(
                "outbox",
                f"last seq {actual.outbox_last_seq}, the backup's {expected.outbox_last_seq}",
            )
        )
    if actual.audit_last_entry != expected.audit_last_entry:
        found.append(
            Finding(
                "audit",
                f"last entry {actual.audit_last_entry}, the backup's {expected.audit_last_entry}",
            )
        )
    return found


def _differences(check: str, expected: list[str], actual: list[str]) -> list[Finding]:
    missing = [f"missing: {line}" for line in sorted(set(expected) - set(actual))]
    extra = [f"not in the backup: {line}" for line in sorted(set(actual) - set(expected))]
    return [Finding(check, line) for line in missing + extra]


def _name(table: Table) -> str:
    return f'"{table.schema}"."{table.name}"'


async def numbers(connection: AsyncConnection, registry: Registry) -> list[Finding]:
    found: list[Finding] = []
    declared = set()
    for numbering in registry.numbers:
        rows_table = numbering.number.class_.__table__
        counter_table = numbering.last_number.class_.__table__
        declared.add(f"{counter_table.schema}.{counter_table.name}")
        column, last = numbering.number.key, numbering.last_number.key
        per_tenant = await connection.execute(
            text(
                f"""
                WITH numbered AS (
                    SELECT tenant_id, count({column}) AS n, count(DISTINCT {column}) AS distinct_n,
                           count(*) - count({column}) AS unnumbered,
                           min({column}) AS low, max({column}) AS high
                    FROM {_name(rows_table)} GROUP BY tenant_id
                )
                SELECT coalesce(r.tenant_id, c.tenant_id) AS tenant_id,
                       coalesce(t.slug, coalesce(r.tenant_id, c.tenant_id)::text) AS tenant,
                       coalesce(r.n, 0) AS n, coalesce(r.distinct_n, 0) AS distinct_n,
                       coalesce(r.unnumbered, 0) AS unnumbered, r.low, r.high, c.{last} AS last
                FROM numbered r FULL JOIN {_name(counter_table)} c ON c.tenant_id = r.tenant_id
                LEFT JOIN tenancy.tenants t ON t.id = coalesce(r.tenant_id, c.tenant_id)
                ORDER BY 2
                """
            )
        )
        prefix = numbering.prefix
        for row in per_tenant:
            where = f"tenant {row.tenant}"
            last_number = row.last or 0
            if row.unnumbered:
                # Numbered at commit (db/numbering.py): a row inserted without its trigger
                # (disabled, or skipped under session_replication_role = replica).
                found.append(
                    Finding("numbers", f"{where}: {row.unnumbered} rows with no {prefix} number")
                )
            if row.n and row.last is None:
                found.append(Finding("numbers", f"{where}: {prefix} numbers but no counter row"))
                continue
            if row.n != row.distinct_n:
                found.append(
                    Finding(
                        "numbers", f"{where}: {row.n - row.distinct_n} duplicate {prefix} numbers"
                    )
                )
            if row.n and (row.low < 1 or row.high > last_number):
                found.append(
                    Finding(
                        "numbers",
                        f"{where}: {prefix} numbers run {row.low}..{row.high}, "
                        f"the counter's last is {last_number}",
                    )
                )
            missing = await connection.scalars(
                text(
                    f"SELECT s FROM generate_series(1, :last) s EXCEPT "
                    f"SELECT {column} FROM {_name(rows_table)} WHERE tenant_id = :tenant "
                    f"ORDER BY 1"
                ),
                {"last": last_number, "tenant": row.tenant_id},
            )
            gaps = list(missing)
            if gaps:
                shown = ", ".join(f"{prefix}-{n}" for n in gaps[:EXAMPLES])
                found.append(
                    Finding(
                        "numbers",
                        f"{where}: {len(gaps)} {prefix} numbers of 1..{last_number} missing "
                        f"({shown}{', …' if len(gaps) > EXAMPLES else ''})",
                    )
                )
    counters = await connection.scalars(
        text(
            "SELECT format('%s.%s', table_schema, table_name) FROM information_schema.columns "
            "WHERE column_name = 'last_number' AND table_schema = ANY(:schemas) ORDER BY 1"
        ),
        {"schemas": list(registry.database_schemas)},
    )
    for counter in counters:
        if counter not in declared:
            found.append(
                Finding("numbers", f"counter table {counter} is declared by no domain: unchecked")
            )
    return found


async def outbox(connection: AsyncConnection) -> list[Finding]:
    row = (
        await connection.execute(
            text("SELECT min(seq), max(seq), count(DISTINCT seq) FROM events.outbox")
        )
    ).one()
    if row[0] is None:
        return []
    low, high, distinct = (int(value) for value in row)
    if high - low + 1 == distinct:
        return []
    holes = await connection.scalars(
        text(
            "SELECT s FROM generate_series(CAST(:low AS bigint), :high) s "
            "EXCEPT SELECT seq FROM events.outbox ORDER BY 1 LIMIT :limit"
        ),
        {"low": low, "high": high, "limit": EXAMPLES},
    )
    return [
        Finding(
            "outbox",
            f"{high - low + 1 - distinct} seq values missing between the oldest retained "
            f"({low}) and the latest ({high}): {', '.join(map(str, holes))}",
        )
    ]


# An entry written by `AuditRecord.deleted`: fields that had values, now all null.
RECORDED_DELETION = """
    EXISTS (SELECT FROM audit.entries d
            WHERE d.tenant_id = a.tenant_id AND d.entity_type = a.entity_type
              AND d.entity_id = a.entity_id AND d.before <> '{}'::jsonb
              AND d.after <> '{}'::jsonb
              AND NOT EXISTS (SELECT FROM jsonb_each(d.after) f WHERE f.value <> 'null'::jsonb))
"""


async def audit(connection: AsyncConnection, registry: Registry) -> list[Finding]:
    found: list[Finding] = []
    declared = registry.audited
    for entity_type, table in declared.items():
        if table is None:
            continue
        rows = await connection.execute(
            text(
                f"""
                SELECT a.entity_id, count(*) AS entries FROM audit.entries a
                WHERE a.entity_type = :type
                  AND NOT EXISTS (SELECT FROM {_name(table)} x
                                  WHERE x.id = a.entity_id AND x.tenant_id = a.tenant_id)
                  AND NOT {RECORDED_DELETION}
                GROUP BY a.entity_id ORDER BY a.entity_id
                """
            ),
            {"type": entity_type},
        )
        found += [
            Finding(
                "audit",
                f"{entity_type} {entity_id} ({entries} entries) neither exists nor has a "
                "recorded deletion",
            )
            for entity_id, entries in rows
        ]
    unknown = await connection.execute(
        text(
            "SELECT entity_type, count(*) FROM audit.entries "
            "WHERE NOT (entity_type = ANY(:declared)) GROUP BY 1 ORDER BY 1"
        ),
        {"declared": list(declared)},
    )
    found += [
        Finding("audit", f"{count} entries of entity type {name}, which no domain declares")
        for name, count in unknown
    ]
    return found


def _walled(registry: Registry) -> list[Table]:
    return [
        table
        for metadata in registry.migrations.metadata
        for table in metadata.tables.values()
        if "tenant_id" in table.c
    ]


async def walls(connection: AsyncConnection, registry: Registry) -> list[Finding]:
    state = {
        row.name: row
        for row in await connection.execute(
            text(
                """
                SELECT format('%s.%s', n.nspname, c.relname) AS name, c.relrowsecurity AS rls,
                       c.relforcerowsecurity AS forced,
                       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
                          AND p.polname = 'tenant_wall' AND p.polcmd = '*'
                          AND p.polqual IS NOT NULL
                          AND pg_get_expr(p.polqual, c.oid) = pg_get_expr(p.polwithcheck, c.oid)
                          AND pg_get_expr(p.polqual, c.oid) LIKE '%tenant_id%app.tenant_id%'
                       ) AS policies
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas)
                """
            ),
            {"schemas": list(registry.database_schemas)},
        )
    }
    found: list[Finding] = []
    for table in _walled(registry):
        name = f"{table.schema}.{table.name}"
        row: Any = state.get(name)
        if row is None:
            found.append(Finding("walls", f"table {name} is missing"))
            continue
        if not (row.rls and row.forced):
            found.append(Finding("walls", f"{name}: row-level security not enabled and forced"))
        if row.policies != 1:
            found.append(Finding("walls", f"{name}: the tenant_wall policy is missing"))
    return found


async def grants(connection: AsyncConnection, registry: Registry) -> list[Finding]:
    role = (
        await connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
            {"role": APP_ROLE},
        )
    ).first()
    if role is None:
        return [Finding("grants", f"role {APP_ROLE} does not exist")]
    found: list[Finding] = []
    if role.rolsuper or role.rolbypassrls:
        found.append(Finding("grants", f"role {APP_ROLE} bypasses row-level security"))
    for schema in registry.migrations.schemas:
        usable = await connection.scalar(
            text(
                "SELECT has_schema_privilege(:role, n.oid, 'USAGE') FROM pg_namespace n "
                "WHERE n.nspname = :schema"
            ),
            {"role": APP_ROLE, "schema": schema},
        )
        if not usable:
            found.append(Finding("grants", f"{APP_ROLE} may not use schema {schema}"))
    for metadata in registry.migrations.metadata:
        for table in metadata.tables.values():
            granted = await connection.scalar(
                text(
                    "SELECT has_any_column_privilege(:role, c.oid, "
                    "'SELECT, INSERT, UPDATE, REFERENCES') FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relname = :table"
                ),
                {"role": APP_ROLE, "schema": table.schema, "table": table.name},
            )
            if not granted:
                found.append(
                    Finding(
                        "grants", f"{APP_ROLE} holds no privilege on {table.schema}.{table.name}"
                    )
                )
    return found
