"""The incident domain's rules as data: which status transitions are legal, how priority
follows from impact and urgency (ITIL), and how priorities rank. Pure: no I/O, no GraphQL."""

from __future__ import annotations

from subgraphs.incidents.enums import Impact, IncidentStatus, Priority, Urgency

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

# The ITIL priority matrix: PRIORITY_MATRIX[impact][urgency].
PRIORITY_MATRIX: dict[Impact, dict[Urgency, Priority]] = {
    Impact.HIGH: {
        Urgency.HIGH: Priority.CRITICAL,
        Urgency.MEDIUM: Priority.HIGH,
        Urgency.LOW: Priority.MEDIUM,
    },
    Impact.MEDIUM: {
        Urgency.HIGH: Priority.HIGH,
        Urgency.MEDIUM: Priority.MEDIUM,
        Urgency.LOW: Priority.LOW,
    },
    Impact.LOW: {
        Urgency.HIGH: Priority.MEDIUM,
        Urgency.MEDIUM: Priority.LOW,
        Urgency.LOW: Priority.LOW,
    },
}

# Stored as a small integer so that ordering by priority is ordering by urgency of work.
PRIORITY_RANK: dict[Priority, int] = {
    Priority.LOW: 1,
    Priority.MEDIUM: 2,
    Priority.HIGH: 3,
    Priority.CRITICAL: 4,
}
PRIORITY_BY_RANK: dict[int, Priority] = {rank: p for p, rank in PRIORITY_RANK.items()}

NUMBER_PREFIX = "INC-"
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
COMMENT_MAX = 20_000
CATEGORY_MAX = 100
EXTERNAL_ID_MAX = 200
AFFECTED_CIS_MAX = 100


def can_transition(current: IncidentStatus, target: IncidentStatus) -> bool:
    return target in TRANSITIONS[current]


def derive_priority(impact: Impact, urgency: Urgency) -> Priority:
    return PRIORITY_MATRIX[impact][urgency]


def format_number(number: int) -> str:
    return f"{NUMBER_PREFIX}{number}"


def parse_number(text: str) -> int | None:
    """1042 from "INC-1042" or "1042" (case-insensitive); None when it is neither."""
    value = text.strip().upper().removeprefix(NUMBER_PREFIX)
    return int(value) if value.isdigit() and len(value) <= 9 else None
