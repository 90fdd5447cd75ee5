"""The backup archive: one encrypted file (opsgraph/backup/crypto.py) holding a tar stream of
the manifest first, then the logical dump (`pg_dump` custom format of every OpsGraph schema)
and, when asked for, a base backup for point-in-time recovery (`pg_basebackup`, gzipped tar).

Members are spooled to a private temporary directory beside the archive, then streamed
through the cipher, so nothing large is ever held in memory. The dump and the manifest's
snapshot come from one transaction's snapshot (pg_dump `--snapshot`), so the manifest's row
counts and checksums are exactly the dump's."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text

from db.engine import create_engine
from opsgraph.backup import manifest as names
from opsgraph.backup import tools
from opsgraph.backup.crypto import (
    CHUNK_BYTES,
    ArchiveError,
    DecryptingReader,
    EncryptingWriter,
)
from opsgraph.backup.manifest import Manifest, Member
from opsgraph.domains import REGISTRY, Registry
from opsgraph.integrity import snapshot

COPY_BYTES = 1024 * 1024
SUFFIX = ".backup"


class BackupError(RuntimeError):
    """A backup or restore step failed; the message is meant for the operator."""


def create_backup(
    owner_url: str,
    directory: Path,
    key: bytes,
    *,
    base: bool = False,
    registry: Registry = REGISTRY,
) -> tuple[Path, Manifest]:
    """Write a new archive into `directory`; returns its path and manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".opsgraph-backup-") as work:
        spool = Path(work)
        manifest = asyncio.run(_dump(owner_url, spool, base, registry))
        taken = datetime.fromisoformat(manifest.created_at)
        final = directory / f"opsgraph-{taken:%Y%m%dT%H%M%S.%fZ}{SUFFIX}"
        partial = spool / final.name
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as sink:
            writer = EncryptingWriter(sink, key)
            with tarfile.open(fileobj=writer, mode="w|") as tar:
                _add(tar, names.NAME, io.BytesIO(manifest.to_bytes()), len(manifest.to_bytes()))
                for name, member in manifest.members.items():
                    with open(spool / name, "rb") as data:
                        _add(tar, name, data, member.bytes)
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.link(partial, final)  # never over another archive (FileExistsError)
    return final, manifest


def _add(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, data)


async def _dump(owner_url: str, spool: Path, base: bool, registry: Registry) -> Manifest:
    target, env = tools.libpq_target(owner_url)
    schemas = registry.database_schemas
    engine = create_engine(owner_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as plain:
            connection = await plain.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            exported = await connection.scalar(text("SELECT pg_export_snapshot()"))
            created_at = await connection.scalar(text("SELECT now()"))
            server_major = int(await connection.scalar(text("SHOW server_version_num")) or 0)
            server_major //= 10000
            state = await snapshot.take(connection, schemas)
            # Extensions a domain installed in its schema (pg_trgm in problems'): with
            # --schema, pg_dump leaves every extension out unless named.
            extensions = await connection.scalars(
                text(
                    "SELECT e.extname FROM pg_extension e JOIN pg_namespace n"
                    " ON n.oid = e.extnamespace WHERE n.nspname = ANY(:schemas) ORDER BY 1"
                ),
                {"schemas": list(schemas)},
            )
            pg_dump = tools.find("pg_dump", server_major)
            command = [pg_dump, "--format=custom", f"--snapshot={exported}", "--dbname", target]
            command += [*_each("--schema", schemas), *_each("--extension", tuple(extensions))]
            members = {names.DUMP: await spool_output(command, spool / names.DUMP, env)}
            await connection.rollback()
    finally:
        await engine.dispose()
    base_started = None
    if base:
        base_started = datetime.now(UTC).isoformat()
        pg_basebackup = tools.find("pg_basebackup", server_major)
        members[names.BASE] = await spool_output(
            [
                pg_basebackup,
                "--pgdata=-",
                "--format=tar",
                "--gzip",
                "--wal-method=fetch",
                "--checkpoint=fast",
                "--dbname",
                target,
            ],
            spool / names.BASE,
            env,
        )
    assert isinstance(created_at, datetime)
    return Manifest(
        created_at=created_at.astimezone(UTC).isoformat(),
        server_major=server_major,
        dump_tool_major=tools.major(pg_dump),
        schemas=list(schemas),
        snapshot=state,
        members=members,
        base_backup_started_at=base_started,
    )


def _each(option: str, values: tuple[str, ...]) -> list[str]:
    return [f"{option}={value}" for value in values]


async def spool_output(command: list[str], path: Path, env: dict[str, str]) -> Member:
    """Run `command`, writing its standard output to `path`; its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as sink, tempfile.TemporaryFile() as errors:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            env={**os.environ, **env},
        )
        assert process.stdout is not None
        while chunk := await process.stdout.read(COPY_BYTES):
            digest.update(chunk)
            sink.write(chunk)
            size += len(chunk)
        if await process.wait() != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise BackupError(f"{Path(command[0]).name} failed: {message}")
    return Member(bytes=size, sha256=digest.hexdigest())


@contextmanager
def open_members(path: Path, key: bytes) -> Iterator[Iterator[tuple[str, IO[bytes]]]]:
    """The archive's members in order, each a stream to read through before the next; when
    the block ends the whole archive has been authenticated (else `ArchiveError`)."""
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below, after the final chunk
    except OSError as error:
        raise ArchiveError(f"cannot read {path}: {error.strerror}") from None
    with source:
        plain = io.BufferedReader(DecryptingReader(source, key), CHUNK_BYTES)
        try:
            with tarfile.open(fileobj=plain, mode="r|") as tar:

                def members() -> Iterator[tuple[str, IO[bytes]]]:
                    for info in tar:
                        stream = tar.extractfile(info) if info.isfile() else None
                        if stream is None:
                            raise ArchiveError(f"unexpected member {info.name} in the archive")
                        yield info.name, stream

                yield members()
        except tarfile.TarError as error:
            raise ArchiveError(f"the archive's contents are damaged: {error}") from None
        while plain.read(COPY_BYTES):  # the tar's end padding; authenticates the last chunk
            pass


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_archive(
    path: Path, key: bytes, handle: Callable[[str, Readable, Manifest], None] | None = None
) -> Manifest:
    """Authenticate the whole archive and check every member against the manifest; each
    member after the manifest is handed to `handle` (or just read) as it streams by."""
    manifest: Manifest | None = None
    seen: set[str] = set()
    with open_members(path, key) as members:
        for name, stream in members:
            if manifest is None:
                if name != names.NAME:
                    raise ArchiveError("the archive does not start with its manifest")
                manifest = Manifest.from_bytes(stream.read())
                continue
            expected = manifest.members.get(name)
            if expected is None or name in seen:
                raise ArchiveError(f"unexpected member {name} in the archive")
            seen.add(name)
            checked = _Checked(stream)
            if handle is not None:
                handle(name, checked, manifest)
            while checked.read(COPY_BYTES):
                pass
            if checked.size != expected.bytes or checked.digest.hexdigest() != expected.sha256:
                raise ArchiveError(f"member {name} does not match its manifest entry")
    if manifest is None:
        raise ArchiveError("the archive holds no manifest")
    missing = manifest.members.keys() - seen
    if missing:
        raise ArchiveError(f"the archive lacks {', '.join(sorted(missing))}")
    return manifest


class _Checked:
    """A member stream that hashes what is read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data
