"""The incident domain's rules as data: which status transitions are legal, how priority
follows from impact and urgency (ITIL: the shared matrix of resolvers/priority.py), and how
priorities rank. Pure: no I/O, no GraphQL."""

from __future__ import annotations

# The shared matrix, under the names this domain's modules have always used.
from resolvers.priority import PRIORITY_BY_RANK as PRIORITY_BY_RANK
from resolvers.priority import PRIORITY_MATRIX as PRIORITY_MATRIX
from resolvers.priority import PRIORITY_RANK as PRIORITY_RANK
from resolvers.priority import derive_priority as derive_priority
from subgraphs.incidents.enums import IncidentStatus

S = IncidentStatus

# Every legal move. Reopening is RESOLVED → IN_PROGRESS; CLOSED and CANCELLED are final.
TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.RESOLVED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
# Still being worked on: what a configuration item's `openIncidents` lists.
OPEN = frozenset({S.OPEN, S.IN_PROGRESS, S.ON_HOLD})

NUMBER_PREFIX = "INC-"
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
COMMENT_MAX = 20_000
CATEGORY_MAX = 100
EXTERNAL_ID_MAX = 200
AFFECTED_CIS_MAX = 100


def can_transition(current: IncidentStatus, target: IncidentStatus) -> bool:
    return target in TRANSITIONS[current]


def format_number(number: int) -> str:
    return f"{NUMBER_PREFIX}{number}"


def parse_number(text: str) -> int | None:
    """1042 from "INC-1042" or "1042" (case-insensitive); None when it is neither."""
    value = text.strip().upper().removeprefix(NUMBER_PREFIX)
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
