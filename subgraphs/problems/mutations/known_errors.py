"""markKnownError and publishWorkaround: a problem's known-error record, and its workaround
sent to the linked incidents (through the `problem.workaround_published` event, which the
incidents domain turns into work notes)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.problems import permissions, service
from subgraphs.problems.inputs import MarkKnownErrorInput
from subgraphs.problems.mutations.common import changed
from subgraphs.problems.types import Problem


@strawberry.mutation(
    description="Record a problem as a known error: its symptom, workaround and error code "
    "(its root cause and affected CIs are the problem's). Listed by knownErrors from then on. "
    "BAD_USER_INPUT for an empty or over-long text; CONFLICT when CLOSED or CANCELLED.",
    extensions=requires(permissions.MANAGE),
)
async def mark_known_error(
    info: strawberry.Info, id: strawberry.ID, input: MarkKnownErrorInput
) -> Problem:
    ctx = info.context
    known = service.KnownError(input.symptom, input.workaround, input.error_code)
    async with audited(info) as (session, audit):
        row, changes = await service.mark_known_error(
            session, ctx.tenant_id, parse_id(id), known, ctx.actor_id
        )
        audit.entity("Problem", row.id)
        audit.changed(changes)
    return changed(info, row)


@strawberry.mutation(
    description="Publish the problem's workaround (this one, else the one recorded) to its "
    "incidents: each open linked incident gets a work note with it, and incidents linked "
    "later get it on linking. Publishing the same text again changes nothing. BAD_USER_INPUT "
    "when there is no workaround; CONFLICT when CLOSED or CANCELLED.",
    extensions=requires(permissions.UPDATE),
)
async def publish_workaround(
    info: strawberry.Info,
    id: strawberry.ID,
    workaround: Annotated[
        str | None,
        strawberry.argument(description="A new workaround text (1-20000 characters)."),
    ] = None,
) -> Problem:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await service.publish_workaround(
            session, ctx.tenant_id, parse_id(id), workaround, ctx.actor_id
        )
        audit.entity("Problem", row.id)
        if changes:
            audit.changed(changes)
        else:
            audit.nothing_changed()
    return changed(info, row)
