"""The archive cipher (opsgraph/backup/crypto.py): what goes in comes out, and any change to
the file, a wrong key or a missing one is refused with a plain reason."""

from __future__ import annotations

import base64
import io

import pytest

from opsgraph.backup.crypto import (
    ArchiveError,
    DecryptingReader,
    EncryptingWriter,
    load_key,
    new_key,
)

KEY = bytes(range(32))
CHUNK = 64  # small chunks: several per test payload


def sealed(plain: bytes, key: bytes = KEY) -> bytes:
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, key, chunk_bytes=CHUNK)
    for start in range(0, len(plain), 50):
        writer.write(plain[start : start + 50])
    writer.close()
    return sink.getvalue()


def opened(archive: bytes, key: bytes = KEY) -> bytes:
    return DecryptingReader(io.BytesIO(archive), key).read()


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 17])
def test_round_trip(size: int) -> None:
    plain = bytes(i % 251 for i in range(size))
    assert opened(sealed(plain)) == plain


def test_plaintext_does_not_appear() -> None:
    plain = b"incident INC-1042: disk full " * 20
    assert b"disk full" not in sealed(plain)


def test_a_flipped_byte_is_refused() -> None:
    archive = bytearray(sealed(bytes(5 * CHUNK)))
    archive[len(archive) // 2] ^= 1
    with pytest.raises(ArchiveError, match="fails authentication at chunk"):
        opened(bytes(archive))


def test_a_truncated_archive_is_refused() -> None:
    archive = sealed(bytes(5 * CHUNK))
    frame = 4 + CHUNK + 16
    with pytest.raises(ArchiveError, match="fails authentication"):
        opened(archive[:-frame])  # whole chunks dropped: the last left is not the final one
    with pytest.raises(ArchiveError, match="truncated"):
        opened(archive[:-5])


def test_an_altered_header_is_refused() -> None:
    archive = sealed(b"x" * 100).replace(b'"chunk_bytes": 64', b'"chunk_bytes": 65')
    with pytest.raises(ArchiveError, match="fails authentication at chunk 0"):
        opened(archive)


def test_a_wrong_key_is_named_as_such() -> None:
    with pytest.raises(ArchiveError, match=r"wrong key.*cannot be recovered"):
        opened(sealed(b"secret"), key=bytes(32))


def test_not_an_archive() -> None:
    with pytest.raises(ArchiveError, match="not an OpsGraph backup archive"):
        opened(b"PGDMP custom dump")


def test_key_from_the_environment_or_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = new_key()
    assert len(base64.b64decode(key)) == 32
    assert load_key({"OPSGRAPH_BACKUP_KEY": key}) == base64.b64decode(key)
    (tmp_path / "backup.key").write_text(key + "\n")
    from_file = {"OPSGRAPH_BACKUP_KEY_FILE": str(tmp_path / "backup.key")}
    assert load_key(from_file) == base64.b64decode(key)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "no backup key: make a key with `opsgraph backup key"),
        ({"OPSGRAPH_BACKUP_KEY": "not base64!"}, "is not base64"),
        ({"OPSGRAPH_BACKUP_KEY": base64.b64encode(bytes(16)).decode()}, "holds 16 bytes, not 32"),
        ({"OPSGRAPH_BACKUP_KEY_FILE": "/nonexistent/backup.key"}, "cannot read the key file"),
        (
            {"OPSGRAPH_BACKUP_KEY": new_key(), "OPSGRAPH_BACKUP_KEY_FILE": "k"},
            "not both",
        ),
    ],
)
def test_missing_or_malformed_keys_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        load_key(environ)
