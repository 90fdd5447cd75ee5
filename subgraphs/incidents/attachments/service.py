"""Attaching files to incidents and removing them: the incident locked, the file stored
through the shared facility, and the change recorded like every other (history entry,
outbox event `incident.attachment_added` / `incident.attachment_removed`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables.attachments import Attachment
from resolvers.attachments.config import AttachmentConfig
from resolvers.attachments.storing import UploadedFile, store_upload
from resolvers.changes import Changes, Diff
from resolvers.errors import NotFound
from subgraphs.incidents import service
from subgraphs.incidents.attachments.loaders import OWNER_TYPE
from subgraphs.incidents.enums import ChangeKind


def summary(row: Attachment) -> dict[str, Any]:
    """What history, events and the audit log say of an attachment."""
    return {
        "id": str(row.id),
        "filename": row.filename,
        "contentType": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
    }


async def add_attachment(
    session: AsyncSession,
    config: AttachmentConfig,
    tenant_id: uuid.UUID,
    incident_id: uuid.UUID,
    upload: UploadedFile,
    actor: uuid.UUID | None,
) -> tuple[Any, Attachment, Changes]:
    """(incident, attachment, changes); NOT_FOUND for an unknown incident, PAYLOAD_TOO_LARGE
    past the limit (the caller's transaction then rolls back: nothing is kept)."""
    row = await service.get_for_update(session, tenant_id, incident_id)
    attachment = await store_upload(
        session,
        config,
        upload,
        tenant_id=tenant_id,
        owner_type=OWNER_TYPE,
        owner_id=row.id,
        uploaded_by=actor,
    )
    changes = {"attachment": [None, summary(attachment)]}
    await _touched(session, row, ChangeKind.ATTACHMENT_ADDED, changes, actor)
    return row, attachment, changes


async def remove_attachment(
    session: AsyncSession,
    config: AttachmentConfig,
    tenant_id: uuid.UUID,
    attachment_id: uuid.UUID,
    actor: uuid.UUID | None,
) -> tuple[Any, Changes]:
    """(incident, changes); NOT_FOUND for an unknown attachment (or one of a deleted
    incident)."""
    attachment = await session.scalar(
        select(Attachment).where(
            Attachment.tenant_id == tenant_id,
            Attachment.owner_type == OWNER_TYPE,
            Attachment.id == attachment_id,
        )
    )
    if attachment is None:
        raise NotFound(f"No attachment with id {attachment_id}", id=str(attachment_id))
    row = await service.get_for_update(session, tenant_id, attachment.owner_id)
    await config.store_named(attachment.store).delete(session, attachment.key)
    await session.execute(delete(Attachment).where(Attachment.id == attachment.id))
    changes = {"attachment": [summary(attachment), None]}
    await _touched(session, row, ChangeKind.ATTACHMENT_REMOVED, changes, actor)
    return row, changes


async def _touched(
    session: AsyncSession, row: Any, kind: ChangeKind, changes: Changes, actor: uuid.UUID | None
) -> None:
    row.updated_at = func.now()
    await session.flush()
    await session.refresh(row)
    service.record_change(session, row, kind, Diff(changes), actor)
