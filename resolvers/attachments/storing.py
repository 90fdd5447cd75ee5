"""Storing one upload: streamed in pieces through the size limit, its sha256 and the sniffing
of its content type, into the store, and recorded as a row of `attachments.files`.

The client's file name is kept (as a name only: no directories, no control characters); the
client's content type is not: the type comes from the bytes (`filetype` knows the signatures
of common binary formats; UTF-8 text is `text/plain`; anything else
`application/octet-stream`)."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

import filetype
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables.attachments import FILENAME_LENGTH, Attachment
from resolvers.attachments.config import AttachmentConfig
from resolvers.attachments.store import CHUNK_BYTES
from resolvers.errors import OpsGraphError

SNIFF_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
PLAIN_TEXT = "text/plain"


class PayloadTooLarge(OpsGraphError):
    code = "PAYLOAD_TOO_LARGE"


class UploadedFile(Protocol):
    """What the multipart parser hands the resolver (Starlette's `UploadFile`)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...

    async def seek(self, offset: int) -> None: ...


async def store_upload(
    session: AsyncSession,
    config: AttachmentConfig,
    upload: UploadedFile,
    *,
    tenant_id: uuid.UUID,
    owner_type: str,
    owner_id: uuid.UUID,
    uploaded_by: uuid.UUID | None,
) -> Attachment:
    """Store `upload` as an attachment of the entity; PayloadTooLarge (and nothing kept: the
    caller's transaction rolls back) once it passes `config.max_bytes`."""
    attachment_id = uuid.uuid4()
    digest = hashlib.sha256()
    head = bytearray()
    size = 0

    async def pieces() -> AsyncIterator[bytes]:
        nonlocal size
        while piece := await upload.read(CHUNK_BYTES):
            size += len(piece)
            if size > config.max_bytes:
                raise PayloadTooLarge(
                    f"The file is larger than the limit of {config.max_bytes} bytes"
                )
            digest.update(piece)
            if len(head) < SNIFF_BYTES:
                head.extend(piece[: SNIFF_BYTES - len(head)])
            yield piece

    await upload.seek(0)  # one file may be attached more than once by a request
    key = await config.store.write(session, tenant_id, attachment_id, pieces())
    row = Attachment(
        id=attachment_id,
        tenant_id=tenant_id,
        owner_type=owner_type,
        owner_id=owner_id,
        filename=safe_filename(upload.filename),
        content_type=sniffed_type(bytes(head)),
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=uploaded_by,
        store=config.store.name,
        key=key,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


def sniffed_type(head: bytes) -> str:
    """The content type the first bytes of a file show."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if head and _is_text(head):
        return PLAIN_TEXT
    return OCTET_STREAM


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut by the end of the sniffed bytes is no sign of binary data.
        return error.start >= len(head) - 3 and len(head) == SNIFF_BYTES
    return True


def safe_filename(name: str | None) -> str:
    """The last path segment of the client's name, without control characters, at most
    FILENAME_LENGTH characters; `attachment` when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if cleaned in ("", ".", ".."):
        return "attachment"
    return cleaned[:FILENAME_LENGTH]
