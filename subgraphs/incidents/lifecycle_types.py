"""The answers of the lifecycle's mutations: a transition (done or previewed) and the tenant's
incident settings."""

from __future__ import annotations

from typing import Any

import strawberry

from subgraphs.incidents import enums
from subgraphs.incidents.events import EVENT_KIND
from subgraphs.incidents.transitions import Transition
from subgraphs.incidents.types import FieldChange, Incident, field_changes


@strawberry.type(description="An outbox event a change writes (or, in a dry run, would write).")
class IncidentTransitionEvent:
    kind: str = strawberry.field(description="The event's kind, e.g. incident.status_changed.")
    change_kind: enums.ChangeKind = strawberry.field(description="The kind of change it records.")
    changes: list[FieldChange] = strawberry.field(description="The fields it records.")


@strawberry.type(description="What a status change did or, with dryRun, would do.")
class IncidentTransition:
    dry_run: bool = strawberry.field(description="True: nothing was written.")
    from_status: enums.IncidentStatus = strawberry.field(description="The status before.")
    to_status: enums.IncidentStatus = strawberry.field(description="The status after.")
    changes: list[FieldChange] = strawberry.field(
        description="The incident's fields the change sets (status, hold reason, resolution, "
        "cancel reason, reopen count)."
    )
    events: list[IncidentTransitionEvent] = strawberry.field(
        description="The events written (or that would be), in order: the status change, then "
        "the comment's."
    )
    incident: Incident = strawberry.field(
        description="The incident after the change; with dryRun, its own fields as they would "
        "be (its comments and history as they are)."
    )
    cascaded: list[IncidentTransition] = strawberry.field(
        description="The parent's open children that follow its move (ServiceNow's rules), "
        "each with its own changes and events; empty when the move does not cascade."
    )

    @classmethod
    def of(cls, done: Transition, incident: Incident, *, dry_run: bool) -> IncidentTransition:
        return cls(
            dry_run=dry_run,
            from_status=done.from_status,
            to_status=enums.IncidentStatus(done.row.status),
            changes=field_changes(done.changes),
            events=[
                IncidentTransitionEvent(
                    kind=EVENT_KIND[event.kind],
                    change_kind=event.kind,
                    changes=field_changes(event.changes),
                )
                for event in done.events
            ],
            incident=incident,
            cascaded=[
                cls.of(child, Incident.from_row(child.row), dry_run=dry_run)
                for child in done.children
            ],
        )


@strawberry.type(description="The tenant's incident settings.")
class IncidentSettings:
    reopen_window_days: int = strawberry.field(
        description="How many days after its resolution an incident can be reopened."
    )
    auto_close_days: int = strawberry.field(
        default=7,
        description="How many business days (Monday-Friday, UTC) after its resolution an "
        "incident closes by itself; 0: never.",
    )

    @classmethod
    def of(cls, row: Any) -> IncidentSettings:
        return cls(reopen_window_days=row.reopen_window_days, auto_close_days=row.auto_close_days)
