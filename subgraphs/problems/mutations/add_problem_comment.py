"""addProblemComment: add a comment or work note to a problem, as the caller."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.problems import permissions, service
from subgraphs.problems.inputs import AddProblemCommentInput
from subgraphs.problems.mutations.common import changed
from subgraphs.problems.types import ProblemComment


@strawberry.mutation(
    description="Comment on a problem, as the caller. NOT_FOUND for an unknown problem; "
    "BAD_USER_INPUT for an empty or over-long body.",
    extensions=requires(permissions.UPDATE),
)
async def add_problem_comment(
    info: strawberry.Info, problem_id: strawberry.ID, input: AddProblemCommentInput
) -> ProblemComment:
    ctx = info.context
    key = parse_id(problem_id, "problemId")
    async with audited(info) as (session, audit):
        comment = await service.add_comment(
            session, ctx.tenant_id, key, input.body, input.visibility, ctx.actor_id
        )
        audit.entity("ProblemComment", comment.id)
        audit.created(
            {"problemId": str(key), "visibility": comment.visibility, "body": comment.body}
        )
        problem = await service.get_for_update(session, ctx.tenant_id, key)
    changed(info, problem)
    return ProblemComment.from_row(comment)
