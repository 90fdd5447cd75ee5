"""The archive's encryption: AES-256-GCM over fixed-size chunks, so an archive of any size is
written and read in bounded memory.

Layout: `MAGIC`, a 4-byte header length, the header (JSON: format, cipher, chunk size, nonce
prefix, key id), then frames (4-byte length, ciphertext with its 16-byte tag). Each chunk's
nonce is the archive's random 7-byte prefix, the chunk's 4-byte index and a final-chunk flag
(the STREAM construction): reordered, dropped, repeated or appended chunks and a truncated
archive all fail authentication, and the header is authenticated with every chunk as
associated data. The key id (an HMAC of a fixed label under the key) tells a wrong key apart
from a tampered archive without revealing anything of the key.

Keys are 32 random bytes, base64-encoded, from `OPSGRAPH_BACKUP_KEY` or the file named by
`OPSGRAPH_BACKUP_KEY_FILE`. Without the key an archive cannot be read: there is no recovery."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import os
import secrets
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"OPSGRAPH-BACKUP\x01"
FORMAT = 1
CHUNK_BYTES = 1024 * 1024
KEY_BYTES = 32
TAG_BYTES = 16
_LENGTH = struct.Struct(">I")
MAKE_KEY_HINT = (
    "make a key with `opsgraph backup key > backup.key` (keep it safe: an archive cannot be "
    "read without it) and set OPSGRAPH_BACKUP_KEY_FILE=backup.key, or OPSGRAPH_BACKUP_KEY to "
    "its contents"
)


class ArchiveError(Exception):
    """The archive cannot be read or trusted, or the key is missing or malformed; the message
    is meant for the operator."""


def new_key() -> str:
    """A fresh key, base64-encoded."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def load_key(environ: Mapping[str, str] = os.environ) -> bytes:
    """The key from OPSGRAPH_BACKUP_KEY or OPSGRAPH_BACKUP_KEY_FILE (base64 of 32 bytes)."""
    text, source = environ.get("OPSGRAPH_BACKUP_KEY"), "OPSGRAPH_BACKUP_KEY"
    key_file = environ.get("OPSGRAPH_BACKUP_KEY_FILE")
    if text and key_file:
        raise ArchiveError("set OPSGRAPH_BACKUP_KEY or OPSGRAPH_BACKUP_KEY_FILE, not both")
    if key_file:
        source = f"the key file {key_file} (OPSGRAPH_BACKUP_KEY_FILE)"
        try:
            text = Path(key_file).read_text().strip()
        except OSError as error:
            raise ArchiveError(f"cannot read {source}: {error.strerror}") from None
    if not text:
        raise ArchiveError(f"no backup key: {MAKE_KEY_HINT}")
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ArchiveError(f"{source} is not base64: {MAKE_KEY_HINT}") from None
    if len(key) != KEY_BYTES:
        raise ArchiveError(f"{source} holds {len(key)} bytes, not {KEY_BYTES}: {MAKE_KEY_HINT}")
    return key


def key_id(key: bytes) -> str:
    return hmac.new(key, b"opsgraph backup key id", hashlib.sha256).hexdigest()[:16]


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    if index >= 2**32:
        raise ArchiveError("archive too large: more than 2^32 chunks")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")


class EncryptingWriter(io.RawIOBase):
    """A writable stream that encrypts what it is given into `sink`, a chunk at a time;
    `close()` writes the final chunk (it does not close `sink`)."""

    def __init__(self, sink: BinaryIO, key: bytes, chunk_bytes: int = CHUNK_BYTES) -> None:
        super().__init__()
        self._sink, self._aead, self._chunk = sink, AESGCM(key), chunk_bytes
        self._prefix = secrets.token_bytes(7)
        header = json.dumps(
            {
                "format": FORMAT,
                "cipher": "AES-256-GCM",
                "chunk_bytes": chunk_bytes,
                "nonce_prefix": self._prefix.hex(),
                "key_id": key_id(key),
            }
        ).encode()
        self._aad = MAGIC + header
        sink.write(MAGIC + _LENGTH.pack(len(header)) + header)
        self._buffer = bytearray()
        self._index = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) > self._chunk:  # keep the last chunk back: it is the final one
            self._emit(bytes(self._buffer[: self._chunk]), final=False)
            del self._buffer[: self._chunk]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), final=True)
            self._buffer.clear()
        super().close()

    def _emit(self, plain: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, final), plain, self._aad)
        self._sink.write(_LENGTH.pack(len(sealed)) + sealed)
        self._index += 1


class DecryptingReader(io.RawIOBase):
    """A readable stream of an archive's plaintext; every chunk is authenticated before any of
    it is handed out, and the end of the stream only after the final chunk was."""

    def __init__(self, source: BinaryIO, key: bytes) -> None:
        super().__init__()
        self._source, self._aead = source, AESGCM(key)
        if source.read(len(MAGIC)) != MAGIC:
            raise ArchiveError("not an OpsGraph backup archive (or of an unknown format)")
        header_bytes = self._exactly(_LENGTH.unpack(self._exactly(_LENGTH.size))[0])
        try:
            header = json.loads(header_bytes)
            self._prefix = bytes.fromhex(header["nonce_prefix"])
            self._chunk = int(header["chunk_bytes"])
            archive_key = str(header["key_id"])
        except (ValueError, KeyError, TypeError):
            raise ArchiveError("the archive's header is damaged") from None
        if header.get("format") != FORMAT or len(self._prefix) != 7:
            raise ArchiveError("the archive's header is damaged or of an unknown format")
        if archive_key != key_id(key):
            raise ArchiveError(
                f"wrong key: the archive was encrypted with key {archive_key}, the key given is "
                f"{key_id(key)} (without the archive's key its contents cannot be recovered)"
            )
        self._aad = MAGIC + header_bytes
        self._index = 0
        self._pending = self._read_frame()
        self._plain = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._plain):
            if self._done:
                return 0
            self._next_chunk()
        count = min(len(buffer), len(self._plain) - self._offset)
        buffer[:count] = self._plain[self._offset : self._offset + count]
        self._offset += count
        return count

    def _next_chunk(self) -> None:
        sealed = self._pending
        if sealed is None:
            raise ArchiveError("the archive is truncated")
        self._pending = self._read_frame()
        final = self._pending is None
        try:
            self._plain = self._aead.decrypt(
                _nonce(self._prefix, self._index, final), sealed, self._aad
            )
        except InvalidTag:
            raise ArchiveError(
                f"the archive fails authentication at chunk {self._index}: it was altered, "
                "truncated or damaged, and is refused"
            ) from None
        self._offset = 0
        self._index += 1
        self._done = final

    def _read_frame(self) -> bytes | None:
        length = self._source.read(_LENGTH.size)
        if not length:
            return None
        size = _LENGTH.unpack(self._exactly(_LENGTH.size, length))[0]
        if size > self._chunk + TAG_BYTES:
            raise ArchiveError(f"the archive is damaged at chunk {self._index}")
        return self._exactly(size)

    def _exactly(self, size: int, start: bytes = b"") -> bytes:
        data = start + self._source.read(size - len(start))
        if len(data) != size:
            raise ArchiveError("the archive is truncated")
        return data
