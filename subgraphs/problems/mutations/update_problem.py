"""updateProblem: change fields and/or move the status along the transition table."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from resolvers.arguments import given, given_id, parse_ids
from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.problems import permissions, service
from subgraphs.problems.inputs import UpdateProblemInput
from subgraphs.problems.mutations.common import changed, require_cis
from subgraphs.problems.types import Problem


def _new(value: Any) -> uuid.UUID | None:
    return value if isinstance(value, uuid.UUID) else None


@strawberry.mutation(
    description="Change a problem. Omitted fields stay. An illegal status transition or a "
    "change to a CLOSED/CANCELLED problem is a CONFLICT; moving past ROOT_CAUSE_ANALYSIS "
    "without a root cause, or to RESOLVED without a resolution code, is BAD_USER_INPUT; "
    "closing needs problem:manage (FORBIDDEN); a team or configuration item that is not one "
    "of the tenant's is NOT_FOUND. An error changes nothing.",
    extensions=requires(permissions.UPDATE),
)
async def update_problem(
    info: strawberry.Info, id: strawberry.ID, input: UpdateProblemInput
) -> Problem:
    ctx = info.context
    affected = given(input.affected_ci_ids)
    update = service.ProblemUpdate(
        title=given(input.title),
        description=given(input.description),
        impact=given(input.impact),
        urgency=given(input.urgency),
        priority=given(input.priority),
        category=given(input.category),
        team_id=given_id(input.team_id, "input.teamId"),
        ci_id=given_id(input.ci_id, "input.ciId"),
        affected_ci_ids=affected
        if affected is service.UNCHANGED
        else parse_ids(affected or (), "input.affectedCiIds"),
        root_cause=given(input.root_cause),
        cause_code=given(input.cause_code),
        root_cause_ci_id=given_id(input.root_cause_ci_id, "input.rootCauseCiId"),
        resolution_code=given(input.resolution_code),
        resolution_notes=given(input.resolution_notes),
        status=given(input.status),
    )
    problem_id = parse_id(id)
    await require_references(info, "Team", {"input.teamId": _new(update.team_id)})
    named = {"input.ciId": _new(update.ci_id), "input.rootCauseCiId": _new(update.root_cause_ci_id)}
    if update.affected_ci_ids is not service.UNCHANGED:
        named.update(
            (f"input.affectedCiIds[{i}]", ci) for i, ci in enumerate(update.affected_ci_ids)
        )
    await require_cis(info, named)
    async with audited(info) as (session, audit):
        row, changes = await service.update_problem(
            session,
            ctx.tenant_id,
            problem_id,
            update,
            ctx.actor_id,
            may_manage=ctx.principal.can(permissions.MANAGE),
        )
        audit.entity("Problem", row.id)
        audit.changed(changes)
    return changed(info, row)
