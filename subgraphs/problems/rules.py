"""The problem domain's rules as data: which status transitions are legal, which need a root
cause or a resolution code, how priority follows from impact and urgency (the shared ITIL
matrix of resolvers/priority.py), and the human numbers. Pure: no I/O, no GraphQL."""

from __future__ import annotations

from resolvers.priority import PRIORITY_BY_RANK as PRIORITY_BY_RANK
from resolvers.priority import PRIORITY_MATRIX as PRIORITY_MATRIX
from resolvers.priority import PRIORITY_RANK as PRIORITY_RANK
from resolvers.priority import derive_priority as derive_priority
from subgraphs.problems.enums import ProblemStatus

S = ProblemStatus

# Every legal move. Reopening is RESOLVED → FIX_IN_PROGRESS; CLOSED and CANCELLED are final.
# A root cause analysis may end in RESOLVED without a fix (risk accepted, a duplicate).
TRANSITIONS: dict[ProblemStatus, frozenset[ProblemStatus]] = {
    S.NEW: frozenset({S.ASSESS, S.CANCELLED}),
    S.ASSESS: frozenset({S.ROOT_CAUSE_ANALYSIS, S.CANCELLED}),
    S.ROOT_CAUSE_ANALYSIS: frozenset({S.FIX_IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.FIX_IN_PROGRESS: frozenset({S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.FIX_IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
# Past the root cause analysis: the root cause must be recorded to get here.
NEEDS_ROOT_CAUSE = frozenset({S.FIX_IN_PROGRESS, S.RESOLVED})
# Closing is a manager's decision (problem:manage).
NEEDS_MANAGE = frozenset({S.CLOSED})

NUMBER_PREFIX = "PRB-"
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
TEXT_MAX = 20_000  # root cause, symptom, workaround, resolution notes, comments
CODE_MAX = 100  # category, cause code, error code
AFFECTED_CIS_MAX = 100
LINK_MAX = 100  # incidents linked by one call


def can_transition(current: ProblemStatus, target: ProblemStatus) -> bool:
    return target in TRANSITIONS[current]


def format_number(number: int) -> str:
    return f"{NUMBER_PREFIX}{number}"


def parse_number(text: str) -> int | None:
    """17 from "PRB-17" or "17" (case-insensitive); None when it is neither."""
    value = text.strip().upper().removeprefix(NUMBER_PREFIX)
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
