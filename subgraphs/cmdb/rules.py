"""The CMDB's limits and the rules of a CI's life."""

from __future__ import annotations

from subgraphs.cmdb.enums import CiStatus

NAME_MAX = 200
NAME_OF_CLASS_OR_ATTRIBUTE_MAX = 64  # the columns' width
LABEL_MAX = 100
DESCRIPTION_MAX = 2000
SOURCE_MAX = 64
EXTERNAL_ID_MAX = 200
CRITICALITY_MIN, CRITICALITY_MAX = 1, 4
REDUNDANCY_MAX = 10_000

FINAL: frozenset[CiStatus] = frozenset({CiStatus.RETIRED})
"""Statuses a CI never leaves (it keeps its history and relationships)."""
