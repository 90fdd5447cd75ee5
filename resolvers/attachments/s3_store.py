"""The S3-compatible store (`OPSGRAPH_S3_URL=s3://bucket/prefix`), written against the S3
API with obstore (the Rust `object_store` crate's Python binding: async, typed, streaming
multipart uploads). Credentials, region and endpoint come from the standard `AWS_*`
variables (`AWS_ENDPOINT_URL` for MinIO, Ceph, R2...; `AWS_ALLOW_HTTP=true` for a plain-HTTP
endpoint).

An object is named `<tenant>/<attachment>`. S3 takes no part in the caller's transaction, so
the store follows it: an object written for a transaction that rolls back is removed, and an
object is removed only once the transaction deleting its row commits. (The test suite runs
against the PostgreSQL store.)"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TYPE_CHECKING

import obstore
import obstore.store
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.attachments.store import CHUNK_BYTES

if TYPE_CHECKING:
    from obstore.store import ObjectStore

log = logging.getLogger(__name__)


class S3Store:
    name = "s3"

    def __init__(self, bucket: ObjectStore) -> None:
        self._bucket = bucket
        self._pending: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        return cls(obstore.store.S3Store.from_url(url))

    async def write(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        attachment_id: uuid.UUID,
        chunks: AsyncIterable[bytes],
    ) -> str:
        key = f"{tenant_id}/{attachment_id}"
        try:
            await obstore.put_async(self._bucket, key, chunks)
        except BaseException:
            await self._remove(key)  # a multipart upload abandoned half-way
            raise
        _after(session, on_rollback=lambda: self._later(key))
        return key

    async def read(self, session: AsyncSession, key: str) -> AsyncIterator[bytes]:
        found = await obstore.get_async(self._bucket, key)
        async for piece in found.stream(min_chunk_size=CHUNK_BYTES):
            yield bytes(piece)

    async def delete(self, session: AsyncSession, key: str) -> None:
        _after(session, on_commit=lambda: self._later(key))

    def _later(self, key: str) -> None:
        task = asyncio.get_running_loop().create_task(self._remove(key))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _remove(self, key: str) -> None:
        try:
            await obstore.delete_async(self._bucket, key)
        except Exception:
            log.exception("attachment object %s could not be removed", key)


def _after(
    session: AsyncSession,
    *,
    on_commit: Callable[[], None] | None = None,
    on_rollback: Callable[[], None] | None = None,
) -> None:
    """Run one of the callbacks when the session's transaction ends, by how it ends."""
    ended = False

    def finish(callback: Callable[[], None] | None) -> None:
        nonlocal ended
        if not ended:
            ended = True
            if callback is not None:
                callback()

    sync = session.sync_session
    event.listen(sync, "after_commit", lambda _: finish(on_commit), once=True)
    event.listen(sync, "after_rollback", lambda _: finish(on_rollback), once=True)
