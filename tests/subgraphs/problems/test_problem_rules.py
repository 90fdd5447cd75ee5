"""The problem domain's rules, as tables: every transition, the statuses that need a root
cause or a resolution code, the numbers, and the priority matrix shared with incidents."""

from __future__ import annotations

import itertools

import pytest

import resolvers.priority
from subgraphs.incidents import enums as incident_enums
from subgraphs.incidents import rules as incident_rules
from subgraphs.problems import enums, rules
from subgraphs.problems.enums import ProblemStatus

S = ProblemStatus
LEGAL = {
    (S.NEW, S.ASSESS), (S.NEW, S.CANCELLED),
    (S.ASSESS, S.ROOT_CAUSE_ANALYSIS), (S.ASSESS, S.CANCELLED),
    (S.ROOT_CAUSE_ANALYSIS, S.FIX_IN_PROGRESS), (S.ROOT_CAUSE_ANALYSIS, S.RESOLVED),
    (S.ROOT_CAUSE_ANALYSIS, S.CANCELLED),
    (S.FIX_IN_PROGRESS, S.RESOLVED), (S.FIX_IN_PROGRESS, S.CANCELLED),
    (S.RESOLVED, S.FIX_IN_PROGRESS), (S.RESOLVED, S.CLOSED),
}  # fmt: skip


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)))
def test_transition_table(current: ProblemStatus, target: ProblemStatus) -> None:
    assert rules.can_transition(current, target) is ((current, target) in LEGAL)


def test_closed_and_cancelled_are_final() -> None:
    assert {S.CLOSED, S.CANCELLED} == rules.FINAL


def test_past_root_cause_analysis_needs_a_root_cause_and_closing_needs_manage() -> None:
    assert {S.FIX_IN_PROGRESS, S.RESOLVED} == rules.NEEDS_ROOT_CAUSE
    assert {S.CLOSED} == rules.NEEDS_MANAGE


def test_one_priority_matrix_for_incidents_and_problems() -> None:
    """Both domains use the very objects of resolvers/priority.py: one matrix, one set of
    enums (so the supergraph composes them as one type each)."""
    shared = resolvers.priority
    assert rules.PRIORITY_MATRIX is incident_rules.PRIORITY_MATRIX is shared.PRIORITY_MATRIX
    assert rules.PRIORITY_RANK is incident_rules.PRIORITY_RANK is shared.PRIORITY_RANK
    assert rules.derive_priority is incident_rules.derive_priority
    for name in ("Impact", "Urgency", "Priority"):
        assert getattr(enums, name) is getattr(incident_enums, name) is getattr(shared, name)
    assert len(shared.PRIORITY_MATRIX) * len(shared.Urgency) == 9


@pytest.mark.parametrize(
    "text,number", [("PRB-17", 17), ("prb-7", 7), (" 12 ", 12), ("INC-1", None),
                    ("PRB-", None), ("PRB-1e3", None), ("9" * 12, None),
                    ("❶", None), ("PRB-²", None)]
)  # fmt: skip
def test_parse_number(text: str, number: int | None) -> None:
    assert rules.parse_number(text) == number


def test_format_number() -> None:
    assert rules.format_number(17) == "PRB-17"
