"""Removing every attachment of an entity, bytes and rows, when the entity itself goes for
good (a purged incident): in the caller's transaction, from whichever store holds each."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables.attachments import Attachment
from resolvers.attachments.config import AttachmentConfig


async def remove_attachments_of(
    session: AsyncSession, config: AttachmentConfig, owner_type: str, owner_id: uuid.UUID
) -> int:
    """Remove the entity's attachments; answers how many there were."""
    rows = (
        await session.execute(
            select(Attachment.id, Attachment.store, Attachment.key).where(
                Attachment.owner_type == owner_type, Attachment.owner_id == owner_id
            )
        )
    ).all()
    for row in rows:
        await config.store_named(row.store).delete(session, row.key)
    if rows:
        await session.execute(delete(Attachment).where(Attachment.id.in_([row.id for row in rows])))
    return len(rows)
