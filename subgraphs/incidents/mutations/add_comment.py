"""addComment: add a comment or work note to an incident."""

from __future__ import annotations

import strawberry

from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.incidents import permissions, service
from subgraphs.incidents.inputs import AddCommentInput
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import IncidentComment


@strawberry.mutation(
    description="Comment on an incident. NOT_FOUND for an unknown incident; BAD_USER_INPUT for "
    "an empty or over-long body.",
    extensions=requires(permissions.UPDATE),
)
async def add_comment(
    info: strawberry.Info, incident_id: strawberry.ID, input: AddCommentInput
) -> IncidentComment:
    ctx = info.context
    incident_key = parse_id(incident_id, "incidentId")
    author = parse_id(input.author_id, "input.authorId") if input.author_id else ctx.actor_id
    async with ctx.db.unit_of_work() as session:
        comment = await service.add_comment(
            session, ctx.tenant_id, incident_key, input.body, input.visibility, author
        )
        incident = await service.get_for_update(session, ctx.tenant_id, incident_key)
    changed(info, incident)
    return IncidentComment.from_row(comment)
