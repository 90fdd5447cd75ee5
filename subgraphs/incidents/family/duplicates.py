"""Merging a duplicate into its original: the duplicate is cancelled (reason DUPLICATE,
through the lifecycle's rules: a closed or cancelled incident cannot be), its watchers move to
the original, and both are linked (`duplicate_of_id`), each with a history entry and an
event. An original must not itself be a duplicate or cancelled: duplicates point at one live
incident, never along a chain. No Strawberry here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.changes import Changes, Diff
from resolvers.errors import BadUserInput, Conflict
from subgraphs.incidents import rules, service, transitions
from subgraphs.incidents.enums import ChangeKind, IncidentStatus
from subgraphs.incidents.family import watchers
from subgraphs.incidents.family.locks import lock
from subgraphs.incidents.lifecycle import TransitionRequest

CANCEL_REASON = "DUPLICATE"
"""The cancel reason of a duplicate (cancel reasons are free text; this one is fixed)."""


@dataclass
class Merge:
    duplicate: Any  # its row, cancelled and linked
    original: Any  # its row
    changes: Changes  # the duplicate's changed fields (the audit record's)


async def mark_duplicate(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    of: uuid.UUID,
    actor: uuid.UUID | None,
) -> Merge:
    if id == of:
        raise BadUserInput("An incident cannot be a duplicate of itself", field="of")
    rows = await lock(session, tenant_id, [[(id, "id"), (of, "of")]])
    original = rows[of]
    number = rules.format_number(original.number)
    if original.duplicate_of_id is not None:
        raise Conflict(f"{number} is itself a duplicate: mark it of its original", field="of")
    if IncidentStatus(original.status) is IncidentStatus.CANCELLED:
        raise Conflict(f"{number} is CANCELLED: it cannot be an original", field="of")
    cancelled = await transitions.transition_incident(
        session,
        tenant_id,
        id,
        TransitionRequest(IncidentStatus.CANCELLED, cancel_reason=CANCEL_REASON),
        actor,
    )
    duplicate = cancelled.row
    moved, before, after = await watchers.move_watchers(session, tenant_id, id, of)
    diff = Diff()
    diff.set(duplicate, "duplicate_of_id", of, "duplicateOfId")
    if moved:
        diff.fields["watcherIds"] = [moved, []]
    await session.flush()
    await session.refresh(duplicate)
    service.record_change(session, duplicate, ChangeKind.DUPLICATE_MARKED, diff, actor)
    merged: Changes = {"duplicateId": [None, str(id)]}
    if after != before:
        merged["watcherIds"] = [before, after]
    original.updated_at = func.now()
    await session.flush()
    await session.refresh(original)
    service.record_change(session, original, ChangeKind.DUPLICATE_MERGED, Diff(merged), actor)
    return Merge(duplicate, original, {**cancelled.changes, **diff.fields})
