"""Major incidents: anyone who may change an incident proposes it, with a reason; a holder
of `incident:major` accepts or rejects the proposal (rejecting with a reason). A rejected
incident may be proposed again. A closed or cancelled incident is never proposed.
No Strawberry here."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.changes import Changes, Diff, text
from resolvers.errors import Conflict
from subgraphs.incidents import rules, service
from subgraphs.incidents.enums import ChangeKind, IncidentStatus
from subgraphs.incidents.family import rules as family_rules
from subgraphs.incidents.family.enums import MajorIncidentState

M = MajorIncidentState


async def propose(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, reason: str, actor: uuid.UUID | None
) -> tuple[Any, Changes]:
    reason = _reason(reason)
    row = await service.get_for_update(session, tenant_id, id)
    if IncidentStatus(row.status) in rules.FINAL:
        raise Conflict(f"A {row.status} incident cannot become a major incident", field="id")
    if row.major_state not in family_rules.PROPOSABLE_FROM:
        raise Conflict(
            f"The incident is already {row.major_state} as a major incident",
            field="id",
            majorState=row.major_state,
        )
    return await _decide(session, row, M.PROPOSED, reason, actor)


async def accept(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, actor: uuid.UUID | None
) -> tuple[Any, Changes]:
    row = await _proposed(session, tenant_id, id)
    return await _decide(session, row, M.ACCEPTED, row.major_reason, actor)


async def reject(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, reason: str, actor: uuid.UUID | None
) -> tuple[Any, Changes]:
    reason = _reason(reason)
    row = await _proposed(session, tenant_id, id)
    return await _decide(session, row, M.REJECTED, reason, actor)


def _reason(reason: str) -> str:
    value = text(reason, "reason", family_rules.REASON_MAX, required=True)
    assert value is not None
    return value


async def _proposed(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Any:
    row = await service.get_for_update(session, tenant_id, id)
    if row.major_state not in family_rules.DECIDABLE_FROM:
        state = row.major_state or "not proposed"
        raise Conflict(
            f"Only a proposed major incident can be accepted or rejected (it is {state})",
            field="id",
            majorState=row.major_state,
        )
    return row


async def _decide(
    session: AsyncSession, row: Any, state: MajorIncidentState, reason: str, actor: uuid.UUID | None
) -> tuple[Any, Changes]:
    diff = Diff()
    diff.set(row, "major_state", state.value, "majorState")
    diff.set(row, "major_reason", reason, "majorReason")
    await session.flush()
    await session.refresh(row)
    service.record_change(session, row, ChangeKind.MAJOR_CHANGED, diff, actor)
    return row, diff.fields
