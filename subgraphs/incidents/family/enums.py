"""The family's vocabulary (also GraphQL enums)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description="Where a major incident proposal stands: PROPOSED (waiting for a holder of "
    "incident:major), ACCEPTED (a major incident) or REJECTED."
)
class MajorIncidentState(Enum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
