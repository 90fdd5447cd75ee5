"""`opsgraph backup create → verify → restore` and the integrity checks, on real PostgreSQL
with pg_dump and pg_restore: a database holding every registered domain's demo data (plus
audit entries and outbox events) goes round trip unchanged, a damaged archive, a wrong key or
a database that is not empty are refused, and the checks find what was planted in a restored
copy: a gap in incident numbers, a missing row, a missing wall, a hole in the outbox and an
audit entry whose entity vanished unrecorded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from db.engine import create_engine, session_factory
from opsgraph.backup.archive import BackupError, create_backup, read_archive
from opsgraph.backup.crypto import ArchiveError
from opsgraph.backup.manifest import Manifest
from opsgraph.backup.restore import restore_backup
from opsgraph.cli import main
from opsgraph.domains import REGISTRY
from opsgraph.integrity.run import verify_database
from opsgraph.integrity.snapshot import take
from opsgraph.seed import seed_demo
from tests.conftest import admin, empty_database, fresh_database

KEY = bytes(range(1, 33))
DELETED_CI = uuid.UUID("00000000-0000-4000-8000-00000000dead")


def run_sql(url: str, *statements: str) -> None:
    async def go() -> None:
        connection = await asyncpg.connect(_plain(url))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(go())


def fetch_value(url: str, query: str) -> Any:
    async def go() -> Any:
        connection = await asyncpg.connect(_plain(url))
        try:
            return await connection.fetchval(query)
        finally:
            await connection.close()

    return asyncio.run(go())


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _seed(url: str) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, slug="backup-demo", scale=40)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def source(server_url: str) -> Iterator[str]:
    """Every domain's demo data, audit entries (one of an incident, a CI's creation and its
    recorded deletion) and three delivered outbox events."""
    for url in fresh_database(server_url, "backup_source"):
        asyncio.run(_seed(url))
        run_sql(
            url,
            f"""
            WITH demo AS (SELECT id FROM tenancy.tenants WHERE slug = 'backup-demo'),
                 incident AS (SELECT i.id FROM incidents.incidents i, demo
                              WHERE i.tenant_id = demo.id ORDER BY number LIMIT 1)
            INSERT INTO audit.entries (tenant_id, operation, entity_type, entity_id, before,
                                       after, request_id)
            SELECT demo.id, op, kind, entity, before::jsonb, after::jsonb, 'r1'
            FROM demo, incident, (VALUES
                ('updateIncident', 'Incident', NULL::uuid, '{{"title": "a"}}', '{{"title": "b"}}'),
                ('createConfigurationItem', 'ConfigurationItem', '{DELETED_CI}',
                 '{{"name": null}}', '{{"name": "db-1"}}'),
                ('deleteConfigurationItem', 'ConfigurationItem', '{DELETED_CI}',
                 '{{"name": "db-1"}}', '{{"name": null}}')
            ) AS planted(op, kind, ci, before, after)
            CROSS JOIN LATERAL (SELECT coalesce(planted.ci, incident.id) AS entity) e
            """,
            """
            INSERT INTO events.outbox (tenant_id, domain, kind, entity_type, entity_id, payload,
                                       seq, published_at)
            SELECT t.id, 'incidents', 'incident.updated', 'Incident', gen_random_uuid(), '{}',
                   n, now()
            FROM tenancy.tenants t, generate_series(1, 3) n WHERE t.slug = 'backup-demo'
            """,
        )
        yield url


@pytest.fixture(scope="module")
def archive(source: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    return create_backup(source, tmp_path_factory.mktemp("backups"), KEY)


@pytest.fixture(scope="module")
def restored(server_url: str, archive: tuple[Path, Manifest]) -> Iterator[tuple[str, list[Any]]]:
    for url in empty_database(server_url, "backup_restored"):
        _, findings = restore_backup(archive[0], KEY, url)
        yield url, findings


@pytest.fixture
def copy(server_url: str, restored: tuple[str, list[Any]]) -> Iterator[str]:
    """A copy of the restored database for one test to damage."""
    name = f"backup_copy_{uuid.uuid4().hex[:10]}"
    template = make_url(restored[0]).database
    admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield make_url(restored[0]).set(database=name).render_as_string(hide_password=False)
    finally:
        admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def findings_of(url: str, manifest: Manifest | None = None) -> list[str]:
    expected = manifest.snapshot if manifest is not None else None
    return [str(finding) for finding in asyncio.run(verify_database(url, expected=expected))]


async def _snapshot(url: str) -> Any:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            return await take(connection, REGISTRY.database_schemas)
    finally:
        await engine.dispose()


def test_the_manifest_describes_every_domain(archive: tuple[Path, Manifest]) -> None:
    path, manifest = archive
    assert read_archive(path, KEY) == manifest
    assert set(manifest.schemas) == set(REGISTRY.database_schemas)
    for schema in (*REGISTRY.names, "audit", "events", "tenancy"):
        rows = sum(
            s.rows for name, s in manifest.snapshot.tables.items() if name.startswith(f"{schema}.")
        )
        assert rows > 0, f"no rows of schema {schema} in the backup"
    assert manifest.snapshot.outbox_last_seq == 3
    assert manifest.snapshot.audit_last_entry is not None
    assert manifest.snapshot.revisions == sorted(REGISTRY.migrations.head_revisions)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_round_trip_restores_everything_unchanged(
    source: str, restored: tuple[str, list[Any]]
) -> None:
    url, findings = restored
    assert findings == []
    assert asyncio.run(_snapshot(url)) == asyncio.run(_snapshot(source))
    assert fetch_value(url, "SELECT count(*) FROM incidents.incidents") == 40


def test_restore_refuses_a_database_that_is_not_empty(
    source: str, archive: tuple[Path, Manifest]
) -> None:
    before = asyncio.run(_snapshot(source))
    with pytest.raises(
        BackupError, match=r"is not empty \(it holds schemas attachments, audit, .*\)"
    ):
        restore_backup(archive[0], KEY, source)
    assert asyncio.run(_snapshot(source)) == before


def test_restore_refuses_a_tampered_archive_and_writes_nothing(
    server_url: str, archive: tuple[Path, Manifest], tmp_path: Path
) -> None:
    data = bytearray(archive[0].read_bytes())
    data[len(data) // 2] ^= 0x40
    tampered = tmp_path / "tampered.backup"
    tampered.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="fails authentication"):
        read_archive(tampered, KEY)
    for url in empty_database(server_url, "backup_tampered"):
        with pytest.raises(ArchiveError, match="fails authentication"):
            restore_backup(tampered, KEY, url)
        assert (
            fetch_value(url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'incidents'") == 0
        )


def test_a_wrong_key_is_refused(archive: tuple[Path, Manifest]) -> None:
    with pytest.raises(ArchiveError, match="wrong key"):
        read_archive(archive[0], bytes(32))


def test_cli_verify_and_missing_key(
    archive: tuple[Path, Manifest], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import base64

    monkeypatch.setenv("OPSGRAPH_BACKUP_KEY", base64.b64encode(KEY).decode())
    assert main(["backup", "verify", str(archive[0])]) == 0
    assert "authentic and complete" in capsys.readouterr().out
    monkeypatch.delenv("OPSGRAPH_BACKUP_KEY")
    monkeypatch.delenv("OPSGRAPH_BACKUP_KEY_FILE", raising=False)
    assert main(["backup", "verify", str(archive[0])]) == 1
    assert "no backup key: make a key with `opsgraph backup key" in capsys.readouterr().err


def test_a_gap_in_incident_numbers_is_found(copy: str) -> None:
    run_sql(copy, "DELETE FROM incidents.incidents WHERE number = 5")
    found = findings_of(copy)
    assert "numbers: tenant backup-demo: 1 INC numbers of 1..40 missing (INC-5)" in found


def test_duplicate_numbers_are_found(copy: str) -> None:
    run_sql(
        copy,
        "ALTER TABLE incidents.incidents DROP CONSTRAINT uq_incidents_tenant_number",
        "UPDATE incidents.incidents SET number = 7 WHERE number = 8",
    )
    found = findings_of(copy)
    assert "numbers: tenant backup-demo: 1 duplicate INC numbers" in found
    assert "numbers: tenant backup-demo: 1 INC numbers of 1..40 missing (INC-8)" in found


def test_an_incident_committed_without_its_number_is_found(copy: str) -> None:
    """Numbers are handed out by a trigger at commit; a row inserted with it disabled (a
    replica's apply, say) has none — as this one now."""
    run_sql(copy, "UPDATE incidents.incidents SET number = NULL WHERE number = 9")
    found = findings_of(copy)
    assert "numbers: tenant backup-demo: 1 rows with no INC number" in found
    assert "numbers: tenant backup-demo: 1 INC numbers of 1..40 missing (INC-9)" in found


def test_a_missing_row_is_found_against_the_manifest(
    copy: str, archive: tuple[Path, Manifest]
) -> None:
    rows = archive[1].snapshot.tables["incidents.incident_comments"].rows
    run_sql(
        copy,
        "DELETE FROM incidents.incident_comments WHERE id = "
        "(SELECT id FROM incidents.incident_comments LIMIT 1)",
    )
    assert findings_of(copy, archive[1]) == [
        f"counts: incidents.incident_comments holds {rows - 1} rows, the backup {rows}"
    ]


def test_a_changed_row_is_found_against_the_manifest(
    copy: str, archive: tuple[Path, Manifest]
) -> None:
    run_sql(
        copy,
        "UPDATE identity.teams SET name = name || '!' WHERE id = "
        "(SELECT id FROM identity.teams LIMIT 1)",
    )
    assert findings_of(copy, archive[1]) == [
        "counts: identity.teams's rows differ from the backup's (checksum)"
    ]


def test_a_missing_wall_is_found(copy: str, archive: tuple[Path, Manifest]) -> None:
    run_sql(copy, "DROP POLICY tenant_wall ON cmdb.configuration_items")
    assert findings_of(copy) == [
        "walls: cmdb.configuration_items: the tenant_wall policy is missing"
    ]
    against = findings_of(copy, archive[1])
    assert any(
        line.startswith("walls: missing: cmdb.configuration_items: policy tenant_wall")
        for line in against
    )


def test_a_missing_grant_is_found(copy: str, archive: tuple[Path, Manifest]) -> None:
    run_sql(copy, "REVOKE ALL ON identity.teams FROM opsgraph_app")
    found = findings_of(copy, archive[1])
    assert "grants: opsgraph_app holds no privilege on identity.teams" in found
    assert "grants: missing: SELECT ON identity.teams" in found


def test_a_hole_in_the_outbox_sequence_is_found(copy: str) -> None:
    run_sql(copy, "DELETE FROM events.outbox WHERE seq = 2")
    assert findings_of(copy) == [
        "outbox: 1 seq values missing between the oldest retained (1) and the latest (3): 2"
    ]
    run_sql(copy, "DELETE FROM events.outbox WHERE seq = 1")  # pruned from the bottom: fine
    assert findings_of(copy) == []


def test_an_audited_entity_gone_without_a_record_is_found(copy: str) -> None:
    incident = fetch_value(
        copy, "SELECT entity_id FROM audit.entries WHERE entity_type = 'Incident' LIMIT 1"
    )
    run_sql(copy, f"DELETE FROM incidents.incidents WHERE id = '{incident}'")
    found = [line for line in findings_of(copy) if line.startswith("audit")]
    assert found == [
        f"audit: Incident {incident} (1 entries) neither exists nor has a recorded deletion"
    ]


def test_live_verify_command(
    copy: str, archive: tuple[Path, Manifest], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import base64

    monkeypatch.setenv("DATABASE_URL", copy)
    monkeypatch.setenv("OPSGRAPH_BACKUP_KEY", base64.b64encode(KEY).decode())
    assert main(["verify", "--integrity"]) == 0
    assert capsys.readouterr().out.strip() == "integrity: ok"
    assert main(["verify", "--against", str(archive[0])]) == 0
    assert capsys.readouterr().out.strip() == "integrity: ok"
    run_sql(copy, "DROP POLICY tenant_wall ON identity.users")
    assert main(["verify", "--integrity"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "walls: identity.users: the tenant_wall policy is missing",
        "integrity: 1 finding(s)",
    ]
    assert main(["verify", "--against", str(archive[0])]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "walls: missing: identity.users: policy tenant_wall PERMISSIVE to public"
    )
    assert lines[1:] == [
        "walls: identity.users: the tenant_wall policy is missing",
        "integrity: 2 finding(s)",
    ]


def test_each_backup_is_a_new_file(source: str, archive: tuple[Path, Manifest]) -> None:
    path, _ = create_backup(source, archive[0].parent, KEY)
    assert path != archive[0]
    assert sorted(p.name for p in archive[0].parent.iterdir()) == sorted(
        [path.name, archive[0].name]
    )
    path.unlink()
