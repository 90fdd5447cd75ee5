"""The incident domain's rules, as tables: every transition and every matrix cell."""

from __future__ import annotations

import itertools

import pytest

from subgraphs.incidents import rules
from subgraphs.incidents.enums import Impact, IncidentStatus, Priority, Urgency

S = IncidentStatus
LEGAL = {
    (S.OPEN, S.IN_PROGRESS), (S.OPEN, S.ON_HOLD), (S.OPEN, S.RESOLVED), (S.OPEN, S.CANCELLED),
    (S.IN_PROGRESS, S.ON_HOLD), (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.CANCELLED),
    (S.ON_HOLD, S.IN_PROGRESS), (S.ON_HOLD, S.RESOLVED), (S.ON_HOLD, S.CANCELLED),
    (S.RESOLVED, S.IN_PROGRESS), (S.RESOLVED, S.CLOSED),
}  # fmt: skip


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)))
def test_transition_table(current: IncidentStatus, target: IncidentStatus) -> None:
    assert rules.can_transition(current, target) is ((current, target) in LEGAL)


def test_closed_and_cancelled_are_final() -> None:
    assert {S.CLOSED, S.CANCELLED} == rules.FINAL


@pytest.mark.parametrize(
    "impact,urgency,priority",
    [
        (Impact.HIGH, Urgency.HIGH, Priority.CRITICAL),
        (Impact.HIGH, Urgency.MEDIUM, Priority.HIGH),
        (Impact.HIGH, Urgency.LOW, Priority.MEDIUM),
        (Impact.MEDIUM, Urgency.HIGH, Priority.HIGH),
        (Impact.MEDIUM, Urgency.MEDIUM, Priority.MEDIUM),
        (Impact.MEDIUM, Urgency.LOW, Priority.LOW),
        (Impact.LOW, Urgency.HIGH, Priority.MEDIUM),
        (Impact.LOW, Urgency.MEDIUM, Priority.LOW),
        (Impact.LOW, Urgency.LOW, Priority.LOW),
    ],
)
def test_priority_matrix(impact: Impact, urgency: Urgency, priority: Priority) -> None:
    assert rules.derive_priority(impact, urgency) is priority


@pytest.mark.parametrize(
    "text,number", [("INC-1042", 1042), ("inc-7", 7), (" 12 ", 12), ("PRB-1", None),
                    ("INC-", None), ("INC-1e3", None), ("9" * 12, None),
                    ("❶", None), ("INC-²", None), ("١٢", None)]
)  # fmt: skip
def test_parse_number(text: str, number: int | None) -> None:
    assert rules.parse_number(text) == number
