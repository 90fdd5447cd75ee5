"""Batched reads of attachments: every attachment of a page's entities in one statement."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sqlalchemy import ColumnElement

from db.tables.attachments import Attachment
from resolvers.loaders import RowsByKeyLoader


class AttachmentsByOwnerIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Attachments of each entity of `owner_type`, oldest first. A domain subclasses it
    naming its entity type (one loader class, hence one cache, per type)."""

    table = Attachment
    key = "owner_id"
    owner_type: ClassVar[str]

    @classmethod
    def scope(cls) -> tuple[ColumnElement[bool], ...]:
        return (Attachment.owner_type == cls.owner_type,)
