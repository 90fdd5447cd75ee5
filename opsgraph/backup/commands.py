"""`opsgraph backup key|create|verify|restore` and `opsgraph verify --integrity`: the
commands' arguments and what they print (cli.py only dispatches here)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from opsgraph.backup.archive import BackupError, create_backup, read_archive
from opsgraph.backup.crypto import ArchiveError, load_key, new_key
from opsgraph.backup.tools import ToolError
from opsgraph.integrity.checks import Finding
from opsgraph.settings import Settings

if TYPE_CHECKING:
    from opsgraph.runtime import Runtime

FAILED = 1


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = commands.add_parser(
        "backup",
        help="encrypted backups, their verification, restore and point-in-time recovery",
        description="Backups of every OpsGraph schema, encrypted with AES-256-GCM under the key "
        "in OPSGRAPH_BACKUP_KEY or the file OPSGRAPH_BACKUP_KEY_FILE names. A lost key cannot "
        "be recovered, nor can its archives.",
    )
    actions = backup.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("key", help="print a new random key (base64 of 32 bytes)")
    create = actions.add_parser(
        "create",
        help="write a backup archive (pg_dump of every OpsGraph schema, manifest)",
        description="Dump every OpsGraph schema (custom format) with a manifest: time, schema "
        "revisions, per-table row counts and checksums, the outbox's last seq, the audit "
        "log's last entry. --base adds a base backup (pg_basebackup) for --to-time restores.",
    )
    create.add_argument("--to", metavar="DIR", help="directory (default: <data dir>/backups)")
    create.add_argument(
        "--base", action="store_true", help="include a base backup for point-in-time recovery"
    )
    verify = actions.add_parser(
        "verify",
        help="authenticate an archive and check it against its manifest, without restoring",
    )
    verify.add_argument("file")
    restore = actions.add_parser(
        "restore",
        help="restore an archive into an empty database, then verify its integrity",
        description="Restore FILE's dump into an empty database (--database-url, else "
        "DATABASE_URL, else the embedded cluster's) and run the integrity checks against its "
        "manifest. With --to-time T (and --data-dir DIR): recover the archive's base backup into "
        "a new embedded data directory, replaying archived WAL (OPSGRAPH_WAL_ARCHIVE_DIR) up to "
        "T; then serve it with OPSGRAPH_DATA_DIR=DIR.",
    )
    restore.add_argument("file")
    restore.add_argument("--database-url", help="the empty database to restore into")
    restore.add_argument(
        "--to-time",
        type=_instant,
        metavar="T",
        help="point in time to recover to (ISO 8601, e.g. 2026-12-05T14:04:00+00:00; UTC "
        "without an offset)",
    )
    restore.add_argument("--data-dir", type=Path, help="new data directory (with --to-time)")


def _instant(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is no ISO 8601 instant (e.g. 2026-12-05T14:04:00+00:00)"
        ) from None


def add_verify_options(verify: argparse.ArgumentParser) -> None:
    verify.add_argument(
        "--integrity",
        action="store_true",
        help="check the database's integrity instead: numbers gapless and unique, outbox seq "
        "gapless, audited entities present or deleted on the record, walls and grants in place",
    )
    verify.add_argument(
        "--against",
        metavar="FILE",
        help="check integrity (implies --integrity) and compare with this backup's manifest: "
        "tables, row counts, checksums, walls, grants",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.action == "key":
            print(new_key())
            return 0
        key = load_key()
        if args.action == "create":
            return _create(settings, args, key)
        if args.action == "verify":
            return _verify_archive(Path(args.file), key)
        return _restore(settings, args, key)
    except (ArchiveError, BackupError, ToolError) as error:
        print(f"opsgraph backup: {error}", file=sys.stderr)
        return FAILED


def _owner_runtime(settings: Settings) -> Runtime:
    from opsgraph.runtime import Runtime

    runtime = Runtime(settings)
    runtime.prepare(migrate_schema=False)
    return runtime


def _create(settings: Settings, args: argparse.Namespace, key: bytes) -> int:
    directory = Path(args.to) if args.to else settings.data_dir / "backups"
    runtime = _owner_runtime(settings)
    try:
        path, manifest = create_backup(runtime.database_url, directory, key, base=args.base)
    finally:
        runtime.shutdown()
    rows = sum(table.rows for table in manifest.snapshot.tables.values())
    print(
        f"{path}: {len(manifest.snapshot.tables)} tables, {rows} rows, outbox seq "
        f"{manifest.snapshot.outbox_last_seq}, taken {manifest.created_at}"
        + (" (with a base backup)" if args.base else "")
    )
    return 0


def _verify_archive(path: Path, key: bytes) -> int:
    manifest = read_archive(path, key)
    print(
        f"{path}: authentic and complete; taken {manifest.created_at}, schema "
        f"{', '.join(manifest.snapshot.revisions)}, {len(manifest.snapshot.tables)} tables, "
        f"members {', '.join(sorted(manifest.members))}"
    )
    return 0


def _restore(settings: Settings, args: argparse.Namespace, key: bytes) -> int:
    if args.to_time is not None:
        from opsgraph.backup.pitr import recover

        if args.data_dir is None or args.database_url:
            raise BackupError(
                "--to-time recovers into a new embedded data directory: give "
                "--data-dir DIR (and no --database-url)"
            )
        findings = recover(Path(args.file), key, args.to_time, args.data_dir, settings)
        print(
            f"recovered to {args.to_time.isoformat()} in {args.data_dir}; serve it with "
            f"OPSGRAPH_DATA_DIR={args.data_dir}"
        )
        return _report(findings)
    from opsgraph.backup.restore import restore_backup

    if args.data_dir is not None:
        raise BackupError("--data-dir goes with --to-time (a restore without it needs none)")
    runtime = None
    target = args.database_url or settings.database_url
    if target is None:
        runtime = _owner_runtime(settings)
        target = runtime.database_url
    try:
        manifest, findings = restore_backup(Path(args.file), key, target)
    finally:
        if runtime is not None:
            runtime.shutdown()
    rows = sum(table.rows for table in manifest.snapshot.tables.values())
    print(
        f"restored {len(manifest.snapshot.tables)} tables, {rows} rows, taken {manifest.created_at}"
    )
    return _report(findings)


def _report(findings: list[Finding]) -> int:
    for finding in findings:
        print(finding)
    print("integrity: ok" if not findings else f"integrity: {len(findings)} finding(s)")
    return FAILED if findings else 0


def verify_integrity(settings: Settings, args: argparse.Namespace) -> int:
    """`opsgraph verify --integrity [--against FILE]`."""
    from opsgraph.integrity.run import verify_database

    try:
        expected = read_archive(Path(args.against), load_key()).snapshot if args.against else None
    except ArchiveError as error:
        print(f"opsgraph verify: {error}", file=sys.stderr)
        return FAILED
    from opsgraph.runtime import Runtime

    runtime = Runtime(settings)
    runtime.prepare(migrate_schema=False)  # a check changes nothing
    try:
        findings = asyncio.run(verify_database(runtime.database_url, expected=expected))
    finally:
        runtime.shutdown()
    return _report(findings)
