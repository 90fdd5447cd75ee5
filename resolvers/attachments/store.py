"""Where attachments' bytes live: the `AttachmentStore` protocol and the PostgreSQL store.

A store writes in the caller's transaction where it can (PostgreSQL: the chunks commit or roll
back with the attachment's row); one that cannot (S3) removes what it wrote when the caller's
transaction fails (`s3_store.py`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables.attachments import AttachmentChunk

CHUNK_BYTES = 256 * 1024


class AttachmentStore(Protocol):
    """Keeps the bytes of attachments, by the key `write` answers."""

    name: str
    """Recorded with each attachment (`files.store`): which store holds its bytes."""

    async def write(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        attachment_id: uuid.UUID,
        chunks: AsyncIterable[bytes],
    ) -> str:
        """Store the bytes `chunks` yields (it raises to abandon the write: nothing is kept)
        and answer their key."""
        ...

    def read(self, session: AsyncSession, key: str) -> AsyncIterator[bytes]:
        """The bytes stored under `key`, in pieces (the session is the caller's, its tenant
        set)."""
        ...

    async def delete(self, session: AsyncSession, key: str) -> None:
        """Remove the bytes stored under `key`."""
        ...


class PostgresStore:
    """Chunks of at most `CHUNK_BYTES` in `attachments.chunks`, behind the tenant wall, written
    in the caller's transaction; the key is the attachment's id."""

    name = "postgres"

    async def write(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        attachment_id: uuid.UUID,
        chunks: AsyncIterable[bytes],
    ) -> str:
        seq = 0
        async for piece in _rechunked(chunks):
            await session.execute(
                insert(AttachmentChunk).values(
                    attachment_id=attachment_id, seq=seq, tenant_id=tenant_id, data=piece
                )
            )
            seq += 1
        return str(attachment_id)

    async def read(self, session: AsyncSession, key: str) -> AsyncIterator[bytes]:
        pieces = await session.stream_scalars(
            select(AttachmentChunk.data)
            .where(AttachmentChunk.attachment_id == uuid.UUID(key))
            .order_by(AttachmentChunk.seq)
        )
        async for piece in pieces:
            yield piece

    async def delete(self, session: AsyncSession, key: str) -> None:
        await session.execute(
            delete(AttachmentChunk).where(AttachmentChunk.attachment_id == uuid.UUID(key))
        )


async def _rechunked(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The bytes in pieces of exactly `CHUNK_BYTES` (the last one shorter)."""
    pending = bytearray()
    async for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            yield bytes(pending[:CHUNK_BYTES])
            del pending[:CHUNK_BYTES]
    if pending:
        yield bytes(pending)
