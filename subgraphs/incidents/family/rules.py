"""The family's rules as data: which parent moves its open children follow (ServiceNow's),
which major-incident decisions are legal, and the predicate that says an incident is a
major one. Pure: no I/O, no GraphQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from subgraphs.incidents import tables
from subgraphs.incidents.enums import HoldReason, IncidentStatus
from subgraphs.incidents.family.enums import MajorIncidentState

S = IncidentStatus
M = MajorIncidentState

# A parent's move that its open children follow, to the same status (and hold reason, and
# resolution): work starts, waits on a change, problem or vendor, or is resolved. A hold
# for the caller is the parent's caller's; closing and cancelling leave the children alone.
CASCADING_HOLDS = frozenset(
    {HoldReason.AWAITING_CHANGE, HoldReason.AWAITING_PROBLEM, HoldReason.AWAITING_VENDOR}
)
# Children in these statuses follow (rules.OPEN: still being worked on).
FOLLOWING = frozenset({S.OPEN, S.IN_PROGRESS, S.ON_HOLD})


def cascades(status: IncidentStatus, hold_reason: HoldReason | None) -> bool:
    """Whether a parent's move to `status` (held for `hold_reason`) moves its open children."""
    if status is S.ON_HOLD:
        return hold_reason in CASCADING_HOLDS
    return status in (S.IN_PROGRESS, S.RESOLVED)


# A close that leaves open children behind needs `force`.
GUARDED = frozenset({S.CLOSED})

# Major incidents: who may go where. Proposing again after a rejection is allowed.
PROPOSABLE_FROM = frozenset({None, M.REJECTED.value})
DECIDABLE_FROM = frozenset({M.PROPOSED.value})
REASON_MAX = 2_000

MAJOR: ColumnElement[bool] = tables.Incident.major_state == M.ACCEPTED.value
"""SQL: the incident is a major incident (auto-close must skip these)."""


def is_major(row: Any) -> bool:
    """The incident (a row with `major_state`) is a major incident: accepted as one. Major
    incidents never close by themselves and do not push their state to their children."""
    return getattr(row, "major_state", None) == M.ACCEPTED.value
