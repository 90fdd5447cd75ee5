"""A parent's move and its open children (ServiceNow's rules, family.rules): when a parent
starts work, waits on a change, problem or vendor, or is resolved, each open child makes the
same move — through the same rules, history entries and events as a direct transition — and
on a resolution the parent's notes are copied into the child as a work note. Closing a parent
that still has open children needs `force`; closing or cancelling never moves them. A major
incident does not push its state to its children.

Locks: the parent first (the caller holds it), then its children in id order — the order
setIncidentParent takes them in too, so the two never wait on each other in a cycle."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import Conflict
from subgraphs.incidents import lifecycle, rules, service, tables
from subgraphs.incidents.enums import ChangeKind, CommentVisibility, IncidentStatus
from subgraphs.incidents.family import rules as family_rules
from subgraphs.incidents.lifecycle import TransitionRequest

if TYPE_CHECKING:
    from subgraphs.incidents.transitions import Transition

S = IncidentStatus
Apply = Callable[[AsyncSession, Any, dict[str, Any], "uuid.UUID | None"], Awaitable["Transition"]]
OPEN_VALUES = sorted(status.value for status in family_rules.FOLLOWING)


async def guard_close(
    session: AsyncSession, tenant_id: uuid.UUID, parent: Any, request: TransitionRequest
) -> None:
    """CONFLICT when the move would close a parent whose children are still open, unless the
    request says `force`."""
    if request.status not in family_rules.GUARDED or request.force:
        return
    row = tables.Incident
    open_children = await session.scalar(
        select(func.count())
        .select_from(row)
        .where(row.tenant_id == tenant_id, row.parent_id == parent.id, row.status.in_(OPEN_VALUES))
    )
    if open_children:
        raise Conflict(
            f"The incident has {open_children} open child incident(s): resolve them first, "
            "or close it with force: true",
            field="status",
            openChildren=open_children,
        )


async def follow(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    parent: Any,
    request: TransitionRequest,
    actor: uuid.UUID | None,
    apply: Apply,
) -> list[Transition]:
    """Move the parent's open children as its move says (none for a major parent or a move
    that does not cascade); answers each child's transition, in id order."""
    if family_rules.is_major(parent) or not family_rules.cascades(
        request.status, request.hold_reason
    ):
        return []
    row = tables.Incident
    children = (
        await session.scalars(
            select(row)
            .where(
                row.tenant_id == tenant_id,
                row.parent_id == parent.id,
                row.status.in_(OPEN_VALUES),
            )
            .order_by(row.id)
            .with_for_update()
        )
    ).all()
    moved = []
    for child in children:
        values = _values(child, request)
        if values is None:
            continue
        done = await apply(session, child, values, actor)
        if request.status is S.RESOLVED:
            assert request.resolution_notes is not None
            note = await service.add_comment(
                session,
                tenant_id,
                child.id,
                parent.resolution_notes or request.resolution_notes,
                CommentVisibility.WORK_NOTE,
                actor,
            )
            await session.refresh(done.row)
            done.comment = note
            done.events.append(_commented(note))
        moved.append(done)
    return moved


def _values(child: Any, request: TransitionRequest) -> dict[str, Any] | None:
    """The columns the child's move sets; None when it already is where the parent went."""
    current = S(child.status)
    target = request.status
    if target is S.ON_HOLD and current is S.ON_HOLD:
        assert request.hold_reason is not None
        if child.hold_reason == request.hold_reason.value:
            return None
        return {"status": S.ON_HOLD.value, "hold_reason": request.hold_reason.value}
    if current is target or not rules.can_transition(current, target):
        return None
    return lifecycle.settle(
        current,
        TransitionRequest(
            target,
            hold_reason=request.hold_reason,
            resolution_code=request.resolution_code,
            resolution_notes=request.resolution_notes,
        ),
    )


def _commented(comment: Any) -> Any:
    from subgraphs.incidents.transitions import WrittenEvent

    return WrittenEvent(ChangeKind.COMMENTED, {"comment": [None, str(comment.id)]})
