"""addIncidentAttachment and deleteIncidentAttachment: arguments in, one call into
service.py inside an audited unit of work, the attachment (or the incident) out."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from resolvers.attachments import config
from resolvers.attachments.storing import UploadedFile
from resolvers.audit import audited
from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.incidents import permissions
from subgraphs.incidents.attachments import service
from subgraphs.incidents.attachments.loaders import AttachmentsByIncidentIdLoader
from subgraphs.incidents.attachments.types import Attachment
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident


@strawberry.mutation(
    description="Attach a file to an incident: send it as a GraphQL multipart request "
    "(github.com/jaydenseric/graphql-multipart-request-spec, as Apollo Client's and urql's "
    "upload links do) with an Apollo-Require-Preflight header. Its content type is sniffed "
    "from its bytes. PAYLOAD_TOO_LARGE past the server's size limit "
    "(OPSGRAPH_MAX_ATTACHMENT_BYTES, 25 MB by default); NOT_FOUND for an unknown incident; "
    "BAD_USER_INPUT when `file` is no uploaded file. Nothing is kept on a refusal.",
    extensions=requires(permissions.UPDATE),
)
async def add_incident_attachment(
    info: strawberry.Info,
    incident_id: Annotated[strawberry.ID, strawberry.argument(description="The incident's id.")],
    file: Annotated[
        Upload, strawberry.argument(description="The file (a part of the multipart request).")
    ],
) -> Attachment:
    ctx = info.context
    id = parse_id(incident_id, "incidentId")
    upload = _uploaded(file)
    async with audited(info) as (session, audit):
        row, attachment, changes = await service.add_attachment(
            session, config.current(), ctx.tenant_id, id, upload, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    changed(info, row)
    ctx.loaders.get(AttachmentsByIncidentIdLoader).clear(row.id)
    return Attachment.from_row(attachment)


@strawberry.mutation(
    description="Remove a file from its incident (its bytes are deleted). NOT_FOUND for an "
    "unknown attachment.",
    extensions=requires(permissions.UPDATE),
)
async def delete_incident_attachment(
    info: strawberry.Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The attachment's id.")],
) -> Incident:
    ctx = info.context
    attachment_id = parse_id(id)
    async with audited(info) as (session, audit):
        row, changes = await service.remove_attachment(
            session, config.current(), ctx.tenant_id, attachment_id, ctx.actor_id
        )
        audit.entity("Incident", row.id)
        audit.changed(changes)
    ctx.loaders.get(AttachmentsByIncidentIdLoader).clear(row.id)
    return changed(info, row)


def _uploaded(file: object) -> UploadedFile:
    """The upload, or BAD_USER_INPUT for a value sent in the JSON variables instead."""
    if not all(callable(getattr(file, name, None)) for name in ("read", "seek")) or not hasattr(
        file, "filename"
    ):
        raise BadUserInput(
            "file must be a file part of a multipart request (the GraphQL multipart request "
            "spec), not a JSON value",
            field="file",
        )
    return file  # type: ignore[return-value]
