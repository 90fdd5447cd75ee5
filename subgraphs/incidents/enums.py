"""The incident domain's vocabularies: Python enums that are also the GraphQL enums.

They are decorated here, where they are defined, so that every module sees one GraphQL
definition whatever the import order; rules.py and service.py use them as plain enums."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry

from resolvers.priority import Impact, Priority, Urgency

__all__ = ["Impact", "Priority", "Urgency"]  # the shared matrix's, re-exported

E = TypeVar("E", bound=Enum)


def stored(enum: type[E]) -> Callable[[str], E]:
    """The member for a value read from the database, by dict lookup: calling the enum costs
    ten times as much, and a page converts hundreds of values."""
    return {member.value: member for member in enum}.__getitem__


@strawberry.enum(
    description="Where an incident is in its life. CLOSED and CANCELLED are final; a RESOLVED "
    "incident can be reopened (back to IN_PROGRESS)."
)
class IncidentStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How the incident arrived.")
class IncidentSource(Enum):
    MANUAL = "MANUAL"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    MONITORING = "MONITORING"
    API = "API"


@strawberry.enum(
    description="WORK_NOTE is internal to the service desk; PUBLIC is shown to the reporter."
)
class CommentVisibility(Enum):
    WORK_NOTE = "WORK_NOTE"
    PUBLIC = "PUBLIC"


@strawberry.enum(description="What to sort incidents by.")
class IncidentSortField(Enum):
    OPENED_AT = "OPENED_AT"
    UPDATED_AT = "UPDATED_AT"
    PRIORITY = "PRIORITY"


@strawberry.enum(description="Ascending or descending.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="What kind of change happened.")
class ChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ASSIGNED = "ASSIGNED"
    STATUS_CHANGED = "STATUS_CHANGED"
    COMMENTED = "COMMENTED"
    DELETED = "DELETED"
    RESTORED = "RESTORED"
    PARENT_CHANGED = "PARENT_CHANGED"
    MAJOR_CHANGED = "MAJOR_CHANGED"
    DUPLICATE_MARKED = "DUPLICATE_MARKED"
    DUPLICATE_MERGED = "DUPLICATE_MERGED"
    WATCHERS_CHANGED = "WATCHERS_CHANGED"
    ATTACHMENT_ADDED = "ATTACHMENT_ADDED"
    ATTACHMENT_REMOVED = "ATTACHMENT_REMOVED"


@strawberry.enum(
    description="Why an incident is ON_HOLD (ServiceNow's four). AWAITING_CALLER needs a public "
    "comment asking the caller; the caller's reply returns the incident to IN_PROGRESS."
)
class HoldReason(Enum):
    AWAITING_CALLER = "AWAITING_CALLER"
    AWAITING_CHANGE = "AWAITING_CHANGE"
    AWAITING_PROBLEM = "AWAITING_PROBLEM"
    AWAITING_VENDOR = "AWAITING_VENDOR"


@strawberry.enum(
    description="How an incident was resolved. The list is data: a new code is one more member "
    "here (the column is plain text), and clients learn it from the schema."
)
class ResolutionCode(Enum):
    FIXED = "FIXED"
    WORKAROUND_PROVIDED = "WORKAROUND_PROVIDED"
    DUPLICATE = "DUPLICATE"
    NOT_REPRODUCIBLE = "NOT_REPRODUCIBLE"
    USER_ERROR = "USER_ERROR"
    NO_FAULT_FOUND = "NO_FAULT_FOUND"
