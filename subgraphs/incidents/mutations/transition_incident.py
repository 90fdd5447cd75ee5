"""transitionIncident: move an incident along the transition table, with what the move needs;
or, with dryRun, answer what the move would do and write nothing."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.incidents import lifecycle, permissions, transitions
from subgraphs.incidents.inputs import TransitionIncidentInput
from subgraphs.incidents.lifecycle_types import IncidentTransition
from subgraphs.incidents.mutations.common import changed
from subgraphs.incidents.types import Incident


def request_of(input: TransitionIncidentInput) -> lifecycle.TransitionRequest:
    comment = input.comment
    return lifecycle.TransitionRequest(
        status=input.status,
        hold_reason=input.hold_reason,
        resolution_code=input.resolution_code,
        resolution_notes=input.resolution_notes,
        cancel_reason=input.cancel_reason,
        comment=None if comment is None else lifecycle.NewComment(comment.body, comment.visibility),
        force=input.force,
    )


@strawberry.mutation(
    description="Move an incident to another status. An illegal move (the transition table; "
    "a reopen outside the tenant's window; a move to the status it has) is CONFLICT; a "
    "missing, empty or misplaced field is BAD_USER_INPUT naming it (extensions.field); "
    "either changes nothing. A parent's move to IN_PROGRESS, to ON_HOLD for a change, "
    "problem or vendor, or to RESOLVED moves its open children too (`cascaded`; not for a "
    "major incident); closing a parent with open children needs input.force. With dryRun "
    "the answer says what would change and which events would be written, and nothing is "
    "written (no change, history, event or audit entry).",
    extensions=requires(permissions.UPDATE),
)
async def transition_incident(
    info: strawberry.Info,
    id: strawberry.ID,
    input: TransitionIncidentInput,
    dry_run: Annotated[
        bool, strawberry.argument(description="Answer what would change; write nothing.")
    ] = False,
) -> IncidentTransition:
    ctx = info.context
    incident_id = parse_id(id)
    request = request_of(input)
    async with audited(info) as (session, audit):
        if dry_run:
            audit.nothing_changed()
            preview = await session.begin_nested()
            try:
                done = await transitions.transition_incident(
                    session, ctx.tenant_id, incident_id, request, ctx.actor_id
                )
                # Read before the rollback expires the row.
                return IncidentTransition.of(done, Incident.from_row(done.row), dry_run=True)
            finally:
                await preview.rollback()
        done = await transitions.transition_incident(
            session, ctx.tenant_id, incident_id, request, ctx.actor_id
        )
        audit.entity("Incident", done.row.id)
        audit.changed(done.changes)
        if done.comment is not None:
            audit.changed({"comment": [None, str(done.comment.id)]})
        if done.children:
            audit.changed({"cascadedIds": [None, [str(child.row.id) for child in done.children]]})
    return IncidentTransition.of(done, changed(info, done.row), dry_run=False)
