"""The problem domain's vocabularies: Python enums that are also the GraphQL enums (impact,
urgency and priority are the shared ones of resolvers/priority.py).

Decorated here, where they are defined, so every module sees one GraphQL definition whatever
the import order; rules.py and service.py use them as plain enums."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry

from resolvers.priority import Impact, Priority, Urgency

__all__ = ["Impact", "Priority", "Urgency"]  # the shared matrix's, re-exported

E = TypeVar("E", bound=Enum)


@strawberry.enum(
    description="Where a problem is in its life (ServiceNow's model). CLOSED and CANCELLED are "
    "final; a RESOLVED problem can be reopened (back to FIX_IN_PROGRESS)."
)
class ProblemStatus(Enum):
    NEW = "NEW"
    ASSESS = "ASSESS"
    ROOT_CAUSE_ANALYSIS = "ROOT_CAUSE_ANALYSIS"
    FIX_IN_PROGRESS = "FIX_IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How a problem was resolved.")
class ProblemResolutionCode(Enum):
    FIX_APPLIED = "FIX_APPLIED"
    RISK_ACCEPTED = "RISK_ACCEPTED"
    DUPLICATE = "DUPLICATE"
    CANCELLED = "CANCELLED"


@strawberry.enum(
    description="WORK_NOTE is internal to the service desk; PUBLIC is shown to the reporter."
)
class CommentVisibility(Enum):
    WORK_NOTE = "WORK_NOTE"
    PUBLIC = "PUBLIC"


@strawberry.enum(description="What kind of change happened to a problem.")
class ProblemChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ASSIGNED = "ASSIGNED"
    STATUS_CHANGED = "STATUS_CHANGED"
    COMMENTED = "COMMENTED"
    KNOWN_ERROR_MARKED = "KNOWN_ERROR_MARKED"
    WORKAROUND_PUBLISHED = "WORKAROUND_PUBLISHED"
    INCIDENTS_LINKED = "INCIDENTS_LINKED"
    INCIDENT_UNLINKED = "INCIDENT_UNLINKED"


@strawberry.enum(description="What to sort problems by.")
class ProblemSortField(Enum):
    OPENED_AT = "OPENED_AT"
    UPDATED_AT = "UPDATED_AT"
    PRIORITY = "PRIORITY"


@strawberry.enum(description="Ascending or descending.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(
    description="Where an incident is in its life, as the problems domain last heard from the "
    "incidents domain."
)
class IncidentStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="What the incidents of a problem candidate have in common.")
class CandidateReason(Enum):
    SAME_CI = "SAME_CI"
    SAME_CATEGORY = "SAME_CATEGORY"
    SIMILAR_TITLES = "SIMILAR_TITLES"


def stored(enum: type[E]) -> Callable[[str], E]:
    """The member for a value read from the database, by dict lookup: calling the enum costs
    ten times as much, and a page converts hundreds of values."""
    return {member.value: member for member in enum}.__getitem__
