"""Status changes of incidents, with the lifecycle's rules (lifecycle.py) applied: a move with
its required fields and comment, the reopen window from the tenant's settings, and the
caller's reply that ends an AWAITING_CALLER hold. Every write path that changes a status or
adds a comment (mutations, event reactions) goes through here. No Strawberry here.

A transition answers what it wrote: the incident's changed fields and the events, in the
order written, so a dry run (the same call inside a savepoint rolled back) can show them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict
from subgraphs.incidents import auto_close, lifecycle, rules, service, tables
from subgraphs.incidents.enums import ChangeKind, CommentVisibility, IncidentStatus
from subgraphs.incidents.events import record_settings_event
from subgraphs.incidents.family import cascade
from subgraphs.incidents.lifecycle import TransitionRequest
from subgraphs.incidents.service import Changes, Diff

S = IncidentStatus


@dataclass(frozen=True)
class WrittenEvent:
    kind: ChangeKind
    changes: Changes


@dataclass
class Transition:
    """What a transition did: the incident's row after it, its status before, the fields it
    changed, its events in order, and the comment it added (if any)."""

    row: Any
    from_status: IncidentStatus
    changes: Changes
    events: list[WrittenEvent] = field(default_factory=list)
    comment: Any = None
    children: list[Transition] = field(default_factory=list)  # cascaded (family/cascade.py)


async def transition_incident(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    request: TransitionRequest,
    actor: uuid.UUID | None,
) -> Transition:
    """Move the incident as `request` says (CONFLICT, BAD_USER_INPUT: lifecycle.settle; a
    reopen outside the tenant's window is CONFLICT), then add the request's comment."""
    row = await service.get_for_update(session, tenant_id, id)
    current = S(row.status)
    values = lifecycle.settle(current, request)
    if (current, request.status) == lifecycle.REOPEN:
        await _check_reopen_window(session, tenant_id, row)
        values["reopen_count"] = row.reopen_count + 1
    await cascade.guard_close(session, tenant_id, row, request)
    done = await _apply(session, row, values, actor)
    if request.comment is not None:
        comment = request.comment
        done.comment = await service.add_comment(
            session, tenant_id, id, comment.body, comment.visibility, actor, comment.source_event
        )
        await session.refresh(done.row)  # the comment moved its updated_at
        done.events.append(
            WrittenEvent(ChangeKind.COMMENTED, {"comment": [None, str(done.comment.id)]})
        )
    done.children = await cascade.follow(session, tenant_id, done.row, request, actor, _apply)
    return done


async def comment_on_incident(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    body: str,
    visibility: CommentVisibility,
    author: uuid.UUID | None,
    source_event: int | None = None,
    mentions: Sequence[uuid.UUID] = (),
) -> Transition:
    """Add a comment (with the users it mentions); when it is a PUBLIC comment by the
    reporter of an incident held AWAITING_CALLER, the caller has replied: the incident returns
    to IN_PROGRESS and the reason clears (a work note is the desk's, never the caller's reply)."""
    comment = await service.add_comment(
        session, tenant_id, id, body, visibility, author, source_event, mentions
    )
    row = await service.get_for_update(session, tenant_id, id)
    replied = (
        visibility is CommentVisibility.PUBLIC
        and author is not None
        and author == row.reporter_id
        and row.hold_reason == lifecycle.CALLER_REPLY_ENDS.value
    )
    if replied:
        request = TransitionRequest(S.IN_PROGRESS)
        values = lifecycle.settle(S(row.status), request)
        done = await _apply(session, row, values, author)
        done.children = await cascade.follow(session, tenant_id, row, request, author, _apply)
    else:
        done = Transition(row=row, from_status=S(row.status), changes={})
    done.comment = comment
    done.events.insert(0, WrittenEvent(ChangeKind.COMMENTED, service.comment_changes(comment)))
    return done


async def _apply(
    session: AsyncSession, row: Any, values: dict[str, Any], actor: uuid.UUID | None
) -> Transition:
    """Set the settled columns and the status's timestamps; record the history entry and the
    `incident.status_changed` event."""
    current, target = S(row.status), S(values["status"])
    now = func.now()
    if target is S.IN_PROGRESS and row.acknowledged_at is None:
        row.acknowledged_at = now
    if target is S.RESOLVED:
        row.resolved_at = now
    if (current, target) == lifecycle.REOPEN:
        row.resolved_at = None
    if target in rules.FINAL:
        row.closed_at = now
    diff = Diff()
    for column, value in values.items():
        diff.set(row, column, value, lifecycle.FIELD_NAMES[column])
    await session.flush()
    await session.refresh(row)
    service.record_change(session, row, ChangeKind.STATUS_CHANGED, diff, actor)
    if target is S.RESOLVED:
        await auto_close.schedule(session, row)  # in this transaction: see auto_close.py
    return Transition(
        row=row,
        from_status=current,
        changes=diff.fields,
        events=[WrittenEvent(ChangeKind.STATUS_CHANGED, diff.fields)],
    )


async def _check_reopen_window(session: AsyncSession, tenant_id: uuid.UUID, row: Any) -> None:
    """CONFLICT unless the incident was resolved within the tenant's reopen window, by the
    database's clock."""
    days = await reopen_window_days(session, tenant_id)
    now = await session.scalar(select(func.now()))
    if row.resolved_at is None or row.resolved_at + timedelta(days=days) < now:
        raise Conflict(
            f"A resolved incident can be reopened only within {days} days of its resolution",
            field="status",
            reopenWindowDays=days,
        )


async def reopen_window_days(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    settings = tables.IncidentSettings
    days = await session.scalar(
        select(settings.reopen_window_days).where(settings.tenant_id == tenant_id)
    )
    return lifecycle.DEFAULT_REOPEN_WINDOW_DAYS if days is None else days


async def update_settings(
    session: AsyncSession, tenant_id: uuid.UUID, days: int
) -> tuple[Any, Changes]:
    """Set the tenant's reopen window (BAD_USER_INPUT outside 0..365 days), with an
    `incident.settings_updated` event when it changes; returns the settings' row and the
    changed fields."""
    if not 0 <= days <= lifecycle.REOPEN_WINDOW_MAX_DAYS:
        raise BadUserInput(
            f"reopenWindowDays must be between 0 and {lifecycle.REOPEN_WINDOW_MAX_DAYS}",
            field="reopenWindowDays",
        )
    before = await reopen_window_days(session, tenant_id)
    settings = tables.IncidentSettings
    row = (
        await session.execute(
            insert(settings)
            .values(tenant_id=tenant_id, reopen_window_days=days)
            .on_conflict_do_update(
                index_elements=[settings.tenant_id],
                set_={"reopen_window_days": days, "updated_at": func.now()},
            )
            .returning(*settings.__table__.c)
        )
    ).one()
    changes = {} if before == days else {"reopenWindowDays": [before, days]}
    if changes:
        record_settings_event(session, tenant_id, row.id, changes)
    return row, changes
