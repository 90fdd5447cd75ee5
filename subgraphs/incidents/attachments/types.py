"""`Attachment` (a file attached to an incident) and the batch resolver of
`Incident.attachments`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import strawberry

from resolvers.attachments import config
from resolvers.ids import try_parse_ids
from subgraphs.incidents.attachments.loaders import AttachmentsByIncidentIdLoader
from subgraphs.incidents.references import User

DOWNLOAD_PATH = "/incidents/attachments"


@strawberry.type(description="A file attached to an incident.")
class Attachment:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    filename: str = strawberry.field(
        description="The file's name as uploaded (its last path segment, without control "
        "characters)."
    )
    content_type: str = strawberry.field(
        description="The content type sniffed from its bytes (never the client's claim); "
        "application/octet-stream when unknown."
    )
    size: int = strawberry.field(description="Its size in bytes.")
    sha256: str = strawberry.field(description="The SHA-256 of its bytes, in hex.")
    uploaded_by: User | None = strawberry.field(description="Who uploaded it.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    url: str = strawberry.field(
        description="A download link relative to the API's origin, valid for a few minutes; "
        "GET it with your bearer token (Authorization: Bearer). It serves the file to "
        "callers of its tenant who may read the incident."
    )

    @classmethod
    def from_row(cls, row: Any) -> Attachment:
        token = config.current().signer.sign(row.tenant_id, row.id)
        return cls(
            id=strawberry.ID(str(row.id)),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            uploaded_by=User.ref(row.uploaded_by),
            created_at=row.created_at,
            url=f"{DOWNLOAD_PATH}?token={quote(token, safe='')}",
        )


async def attachments_of(incidents: Sequence[Any], info: strawberry.Info) -> list[list[Attachment]]:
    loader = info.context.loaders.get(AttachmentsByIncidentIdLoader)
    keys = try_parse_ids([one.id for one in incidents])
    per_incident = await asyncio.gather(*(loader.load(key) for key in keys))
    return [[Attachment.from_row(row) for row in rows] for rows in per_incident]
