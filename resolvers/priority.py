"""The ITIL priority matrix, one for every domain that rates work by impact × urgency
(incidents, problems): the GraphQL enums `Impact`, `Urgency` and `Priority`, the matrix, and
how priorities rank when stored. Each subgraph that exposes the enums exposes these very
definitions, so the supergraph composes them as one type each."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description="How soon work must happen; derived from impact × urgency unless set explicitly."
)
class Priority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@strawberry.enum(description="How much of the business is affected.")
class Impact(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@strawberry.enum(description="How quickly the business needs a fix.")
class Urgency(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


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


def derive_priority(impact: Impact, urgency: Urgency) -> Priority:
    return PRIORITY_MATRIX[impact][urgency]
