"""The `attachments` schema: files attached to any domain's entities (a shared facility).

`files` holds one row per attachment: what it is attached to (`owner_type`, `owner_id`: an
entity of the domain that attached it, e.g. `Incident`), what it is (the name the client
gave, the content type sniffed from its bytes, its size and sha256), who uploaded it and
where its bytes are (`store`: `postgres` or `s3`, and the store's `key`). With the
PostgreSQL store the bytes are `chunks` of at most 256 KiB (`bytea`), numbered from 0;
both tables are walled like every other."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TenantRow

SCHEMA = "attachments"
FILENAME_LENGTH = 255


class Attachment(TenantRow, Base):
    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_owner", "tenant_id", "owner_type", "owner_id", "created_at"),
        {"schema": SCHEMA},
    )

    owner_type: Mapped[str] = mapped_column(String(64), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH), nullable=False)
    content_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    store: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)


class AttachmentChunk(Base):
    __tablename__ = "chunks"
    __table_args__ = ({"schema": SCHEMA},)

    attachment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
