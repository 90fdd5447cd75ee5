"""The change plumbing every domain's service shares: the diff of a write (old and new value
per changed field, JSON-ready for history, events and the audit trail), the UNCHANGED marker
of partial updates, text checks, the impact × urgency rating of an update, and the affected
configuration items kept in a domain's link table.

Pure helpers over the caller's rows and session: no Strawberry, no domain. A domain passes
what differs (its link table and owner column, its limits, how its arguments are named)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput
from resolvers.priority import (
    PRIORITY_BY_RANK,
    PRIORITY_RANK,
    Impact,
    Priority,
    Urgency,
    derive_priority,
)

Changes = dict[str, list[Any]]
UNCHANGED: Any = object()
"""Marks a field an update leaves alone (distinct from None, which clears it)."""


def plain(value: Any) -> Any:
    """`value` as history and events store it: datetimes in ISO form, UUIDs as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


@dataclass
class Diff:
    """Old and new value per changed field, JSON-ready for history and events."""

    fields: Changes = field(default_factory=dict)

    def set(self, row: Any, attribute: str, value: Any, name: str | None = None) -> None:
        """Set the row's `attribute` to `value`, recording the change under `name` (default:
        the attribute) when the value differs."""
        old = getattr(row, attribute)
        if old != value:
            self.fields[name or attribute] = [plain(old), plain(value)]
            setattr(row, attribute, value)


def text(value: str | None, name: str, limit: int, *, required: bool = False) -> str | None:
    """`value` trimmed; BAD_USER_INPUT naming `name` when required and empty, or too long."""
    if value is None:
        if required:
            raise BadUserInput(f"{name} is required", field=name)
        return None
    trimmed = value.strip()
    if required and not trimmed:
        raise BadUserInput(f"{name} must not be empty", field=name)
    if len(trimmed) > limit:
        raise BadUserInput(f"{name} must be at most {limit} characters", field=name)
    return trimmed


def required(value: Any, name: str) -> Any:
    """`value`; BAD_USER_INPUT naming `name` when it is None (a field that cannot be cleared)."""
    if value is None:
        raise BadUserInput(f"{name} cannot be null", field=name)
    return value


def rate(
    row: Any, diff: Diff, impact: Any, urgency: Any, priority: Any, *, prefix: str = ""
) -> None:
    """Apply an update's impact, urgency and priority (each UNCHANGED, or a value; priority
    None: derive it again) to a row with `impact`, `urgency`, `priority` (a rank) and
    `priority_overridden`: the priority follows the ITIL matrix unless overridden. Errors name
    the field with `prefix` (e.g. "input.")."""
    if impact is not UNCHANGED:
        diff.set(row, "impact", required(impact, f"{prefix}impact").value)
    if urgency is not UNCHANGED:
        diff.set(row, "urgency", required(urgency, f"{prefix}urgency").value)
    if priority is not UNCHANGED:
        diff.set(row, "priority_overridden", priority is not None, "priorityOverridden")
    if priority is not UNCHANGED and priority is not None:
        target = priority
    elif not row.priority_overridden:
        target = derive_priority(Impact(row.impact), Urgency(row.urgency))
    else:
        target = PRIORITY_BY_RANK[row.priority]
    set_priority(row, target, diff)


def set_priority(row: Any, priority: Priority, diff: Diff) -> None:
    """Store `priority` as its rank, recorded by name in the diff when it changes."""
    old = PRIORITY_BY_RANK[row.priority]
    if old is not priority:
        diff.fields["priority"] = [old.value, priority.value]
        row.priority = PRIORITY_RANK[priority]


def affected_cis(ci_id: uuid.UUID | None, ids: Sequence[uuid.UUID], limit: int) -> list[uuid.UUID]:
    """The affected CIs to store: each once, in the order given, without the primary CI;
    BAD_USER_INPUT when more than `limit`."""
    distinct = [id for id in dict.fromkeys(ids) if id != ci_id]
    if len(distinct) > limit:
        raise BadUserInput(
            f"affectedCiIds may name at most {limit} configuration items",
            field="affectedCiIds",
        )
    return distinct


async def set_affected_cis(
    session: AsyncSession,
    row: Any,
    wanted: Any,
    diff: Diff,
    *,
    table: Any,
    owner: str,
    limit: int,
) -> None:
    """Make the row's affected CIs `wanted` (UNCHANGED: the current ones, less a new primary
    CI among them). They are the rows of the link `table` (with `tenant_id`, `ci_id` and the
    owner's id in the column named `owner`); a change is recorded as `affectedCiIds`."""
    owner_column = getattr(table, owner)
    mine = (table.tenant_id == row.tenant_id, owner_column == row.id)
    current: list[uuid.UUID] = list(
        await session.scalars(select(table.ci_id).where(*mine).order_by(table.ci_id))
    )
    target = affected_cis(row.ci_id, current if wanted is UNCHANGED else wanted, limit)
    if set(target) == set(current):
        return
    await session.execute(delete(table).where(*mine, table.ci_id.not_in(target)))
    added = [id for id in target if id not in current]
    if added:
        await session.execute(
            insert(table),
            [{"tenant_id": row.tenant_id, owner: row.id, "ci_id": id} for id in added],
        )
    diff.fields["affectedCiIds"] = [[str(id) for id in current], [str(id) for id in target]]


@dataclass(frozen=True)
class WorkItem:
    """What differs between work items (incidents, problems) for the fields they share:
    their affected CIs' link table and its owner column, their limits, and the prefix of
    the field names their errors give (e.g. "input.")."""

    link: Any
    owner: str
    title_max: int
    description_max: int
    category_max: int
    affected_max: int
    prefix: str = ""


async def set_work_fields(
    session: AsyncSession, row: Any, update: Any, diff: Diff, item: WorkItem
) -> None:
    """Apply an update's `title`, `description`, `category`, `team_id`, `ci_id` and
    `affected_ci_ids` (each UNCHANGED or a value) to a work item's row, checked, into `diff`.
    A new primary CI leaves the affected ones (it is never one of them)."""
    prefix = item.prefix
    if update.title is not UNCHANGED:
        title = text(update.title, f"{prefix}title", item.title_max, required=True)
        diff.set(row, "title", title)
    if update.description is not UNCHANGED:
        description = text(update.description, f"{prefix}description", item.description_max)
        diff.set(row, "description", description or "")
    if update.category is not UNCHANGED:
        category = text(update.category, f"{prefix}category", item.category_max)
        diff.set(row, "category", category or None)
    if update.team_id is not UNCHANGED:
        diff.set(row, "team_id", update.team_id, "teamId")
    if update.ci_id is not UNCHANGED:
        diff.set(row, "ci_id", update.ci_id, "ciId")
    if update.ci_id is not UNCHANGED or update.affected_ci_ids is not UNCHANGED:
        await set_affected_cis(
            session,
            row,
            update.affected_ci_ids,
            diff,
            table=item.link,
            owner=item.owner,
            limit=item.affected_max,
        )
