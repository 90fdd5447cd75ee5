"""createProblem and createProblemFromIncidents: open a problem with the tenant's next number
(from incidents: linked to them at once)."""

from __future__ import annotations

import strawberry

from resolvers.arguments import parse_ids
from resolvers.audit import audited
from resolvers.errors import BadUserInput
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.problems import permissions, service
from subgraphs.problems.inputs import CreateProblemInput
from subgraphs.problems.loaders import ProblemByIdLoader
from subgraphs.problems.mutations.common import (
    changed,
    optional_id,
    require_cis,
    require_incidents,
)
from subgraphs.problems.types import Problem


async def _create(
    info: strawberry.Info, input: CreateProblemInput, incident_ids: list[strawberry.ID]
) -> Problem:
    ctx = info.context
    new = service.NewProblem(
        title=input.title,
        description=input.description,
        impact=input.impact,
        urgency=input.urgency,
        priority=input.priority,
        category=input.category,
        assignee_id=optional_id(input.assignee_id, "input.assigneeId"),
        team_id=optional_id(input.team_id, "input.teamId"),
        ci_id=optional_id(input.ci_id, "input.ciId"),
        affected_ci_ids=parse_ids(input.affected_ci_ids, "input.affectedCiIds"),
        incident_ids=parse_ids(incident_ids, "incidentIds"),
    )
    problem = service.prepare_problem(ctx.tenant_id, new, ctx.actor_id)
    await require_references(info, "User", {"input.assigneeId": new.assignee_id})
    await require_references(info, "Team", {"input.teamId": new.team_id})
    named = {"input.ciId": new.ci_id}
    named.update((f"input.affectedCiIds[{i}]", id) for i, id in enumerate(new.affected_ci_ids))
    await require_cis(info, named)
    await require_incidents(info, problem.incident_ids, "incidentIds")
    async with audited(info, read_after=True) as (session, audit):
        audit.entity("Problem", problem.id)
        audit.changed(problem.changes)
        await service.insert_problem(session, problem)
    # Numbered as it committed (db/numbering.py): read back with its number.
    row = await info.context.loaders.get(ProblemByIdLoader).load(problem.id)
    return changed(info, row, problem.incident_ids)


@strawberry.mutation(
    description="Open a problem (status NEW). BAD_USER_INPUT for an empty or over-long title; "
    "NOT_FOUND naming the argument for an assignee, team or configuration item that is not "
    "one of the tenant's.",
    extensions=requires(permissions.CREATE),
)
async def create_problem(info: strawberry.Info, input: CreateProblemInput) -> Problem:
    return await _create(info, input, [])


@strawberry.mutation(
    description="Open a problem for incidents that share a cause, linked to them at once "
    "(e.g. a problem candidate's). NOT_FOUND naming the id that is not one of the tenant's "
    "incidents; CONFLICT when one is linked to a problem already; nothing is written then.",
    extensions=requires(permissions.CREATE),
)
async def create_problem_from_incidents(
    info: strawberry.Info, incident_ids: list[strawberry.ID], input: CreateProblemInput
) -> Problem:
    if not incident_ids:
        raise BadUserInput("incidentIds must name at least one incident", field="incidentIds")
    return await _create(info, input, incident_ids)
