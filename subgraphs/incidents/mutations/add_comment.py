"""addComment: add a comment or work note to an incident."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import check, requires
from resolvers.references import require_references
from subgraphs.incidents import mentions, permissions, transitions
from subgraphs.incidents.inputs import AddCommentInput
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import IncidentComment


@strawberry.mutation(
    description="Comment on an incident, as the caller. A PUBLIC comment by the incident's "
    "reporter on an incident ON_HOLD for AWAITING_CALLER returns it to IN_PROGRESS. "
    "NOT_FOUND for an unknown incident; BAD_USER_INPUT for an empty or over-long body. "
    "Writing as someone else (authorId) needs the permission incident:comment_on_behalf "
    "(FORBIDDEN), and authorId must be one of the tenant's users (NOT_FOUND). Users mentioned "
    "in the body as `@[Name](user id)` are stored as the comment's mentions (NOT_FOUND naming "
    "the mention for an id that is not one of the tenant's users; at most 50).",
    extensions=requires(permissions.UPDATE),
)
async def add_comment(
    info: strawberry.Info, incident_id: strawberry.ID, input: AddCommentInput
) -> IncidentComment:
    ctx = info.context
    incident_key = parse_id(incident_id, "incidentId")
    author = ctx.actor_id
    if input.author_id is not None:
        author = parse_id(input.author_id, "input.authorId")
        if author != ctx.actor_id:
            check(ctx.principal, permissions.COMMENT_ON_BEHALF)
            await require_references(info, "User", {"input.authorId": author})
    mentioned = mentions.mentioned(input.body)
    await require_references(info, "User", mentions.arguments(mentioned))
    async with audited(info) as (session, audit):
        done = await transitions.comment_on_incident(
            session,
            ctx.tenant_id,
            incident_key,
            input.body,
            input.visibility,
            author,
            mentions=mentioned,
        )
        comment = done.comment
        audit.entity("IncidentComment", comment.id)
        created: dict[str, Any] = {
            "incidentId": str(incident_key),
            "authorId": str(author) if author else None,
            "visibility": comment.visibility,
            "body": comment.body,
        }
        if mentioned:
            created["mentionIds"] = [str(id) for id in mentioned]
        audit.created(created)
        # The caller's reply that ended an AWAITING_CALLER hold.
        audit.changed(done.changes)
    changed(info, done.row)
    return IncidentComment.from_row(comment)
