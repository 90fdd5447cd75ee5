"""The incident domain's vocabularies, as plain Python enums (types.py exposes them to
GraphQL; service.py uses them without knowing about GraphQL)."""

from __future__ import annotations

from enum import Enum


class IncidentStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class Priority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Impact(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Urgency(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class IncidentSource(Enum):
    MANUAL = "MANUAL"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    MONITORING = "MONITORING"
    API = "API"


class CommentVisibility(Enum):
    WORK_NOTE = "WORK_NOTE"
    PUBLIC = "PUBLIC"


class IncidentSortField(Enum):
    OPENED_AT = "OPENED_AT"
    UPDATED_AT = "UPDATED_AT"
    PRIORITY = "PRIORITY"


class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


class ChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ASSIGNED = "ASSIGNED"
    STATUS_CHANGED = "STATUS_CHANGED"
    COMMENTED = "COMMENTED"
