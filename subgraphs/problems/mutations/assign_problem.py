"""assignProblem: hand a problem to a user."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.problems import permissions, service
from subgraphs.problems.mutations.common import changed
from subgraphs.problems.types import Problem


@strawberry.mutation(
    description="Assign a problem to a user. NOT_FOUND for an unknown problem or a user who "
    "is not one of the tenant's; CONFLICT when it is CLOSED or CANCELLED.",
    extensions=requires(permissions.UPDATE),
)
async def assign_problem(
    info: strawberry.Info, id: strawberry.ID, user_id: strawberry.ID
) -> Problem:
    ctx = info.context
    problem_id, assignee_id = parse_id(id), parse_id(user_id, "userId")
    await require_references(info, "User", {"userId": assignee_id})
    async with audited(info) as (session, audit):
        row, changes = await service.assign_problem(
            session, ctx.tenant_id, problem_id, assignee_id, ctx.actor_id
        )
        audit.entity("Problem", row.id)
        audit.changed(changes)
    return changed(info, row)
