"""Inputs, filters and orderings of the incidents API."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from subgraphs.incidents import enums
from subgraphs.incidents.custom_fields.inputs import IncidentFieldCondition
from subgraphs.incidents.field_filters import TagFilter


@strawberry.input(description="A new incident. Priority follows impact × urgency unless given.")
class CreateIncidentInput:
    title: str = strawberry.field(description="One-line summary (1-200 characters).")
    description: str = strawberry.field(default="", description="What is wrong, in detail.")
    impact: enums.Impact = strawberry.field(default=enums.Impact.MEDIUM, description="Impact.")
    urgency: enums.Urgency = strawberry.field(default=enums.Urgency.MEDIUM, description="Urgency.")
    priority: enums.Priority | None = strawberry.field(
        default=None, description="Set to override the priority derived from impact × urgency."
    )
    category: str | None = strawberry.field(default=None, description="Free-form category.")
    source: enums.IncidentSource = strawberry.field(
        default=enums.IncidentSource.MANUAL, description="How the incident arrived."
    )
    external_id: str | None = strawberry.field(
        default=None, description="Id in the raising system; unique per source."
    )
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="A User id.")
    team_id: strawberry.ID | None = strawberry.field(default=None, description="A Team id.")
    reporter_id: strawberry.ID | None = strawberry.field(default=None, description="A User id.")
    ci_id: strawberry.ID | None = strawberry.field(
        default=None, description="The configuration item it is about (a ConfigurationItem id)."
    )
    affected_ci_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Further configuration items it affects (ConfigurationItem ids, at most 100).",
    )
    opened_at: datetime | None = strawberry.field(
        default=None, description="When the problem began, if not now (e.g. from an alert)."
    )
    tags: list[str] = strawberry.field(
        default_factory=list,
        description="Labels: trimmed, lower-cased, 1-50 characters each, at most 20 distinct.",
    )
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Values of the tenant's custom fields (incidentFields), by field name; "
        "every required field needs one.",
    )


@strawberry.input(description="Changes to an incident; omitted fields stay as they are.")
class UpdateIncidentInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="New summary.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New description."
    )
    impact: enums.Impact | None = strawberry.field(
        default=strawberry.UNSET, description="New impact."
    )
    urgency: enums.Urgency | None = strawberry.field(
        default=strawberry.UNSET, description="New urgency."
    )
    priority: enums.Priority | None = strawberry.field(
        default=strawberry.UNSET,
        description="Override the priority; null goes back to deriving it from impact × urgency.",
    )
    category: str | None = strawberry.field(
        default=strawberry.UNSET, description="New category; null clears it."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New team (a Team id); null clears it."
    )
    ci_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="New configuration item (a ConfigurationItem id); null clears it.",
    )
    affected_ci_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replace the further configuration items it affects; null or [] clears them.",
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replace its tags (normalised as on create); null or [] clears them.",
    )
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="Custom field values to change, by field name (a JSON merge patch: a value "
        "sets the field, null clears it; fields not named stay). A required value cannot be "
        "cleared.",
    )


@strawberry.input(description="A comment written with a status change.")
class TransitionCommentInput:
    body: str = strawberry.field(description="The text (1-20000 characters).")
    visibility: enums.CommentVisibility = strawberry.field(
        default=enums.CommentVisibility.PUBLIC, description="Who may read it."
    )


@strawberry.input(
    description="A move of an incident to another status with what the move needs: ON_HOLD a "
    "holdReason (AWAITING_CALLER also a PUBLIC comment), RESOLVED a resolutionCode and "
    "resolutionNotes, CANCELLED a cancelReason. A field another status needs is refused."
)
class TransitionIncidentInput:
    status: enums.IncidentStatus = strawberry.field(description="The status to move to.")
    hold_reason: enums.HoldReason | None = strawberry.field(
        default=None, description="Why it waits (ON_HOLD only; required there)."
    )
    resolution_code: enums.ResolutionCode | None = strawberry.field(
        default=None, description="How it was resolved (RESOLVED only; required there)."
    )
    resolution_notes: str | None = strawberry.field(
        default=None, description="What was done (RESOLVED only; required there)."
    )
    cancel_reason: str | None = strawberry.field(
        default=None, description="Why it is cancelled (CANCELLED only; required there)."
    )
    comment: TransitionCommentInput | None = strawberry.field(
        default=None,
        description="A comment added in the same change (e.g. the question to "
        "the caller when holding for AWAITING_CALLER).",
    )
    force: bool = strawberry.field(
        default=False,
        description="Close a parent incident although some of its children are still open "
        "(without it, that close is CONFLICT; the children stay as they are).",
    )


@strawberry.input(description="The tenant's incident settings to change.")
class UpdateIncidentSettingsInput:
    reopen_window_days: int | None = strawberry.field(
        default=None,
        description="How many days after its resolution an incident can be reopened (0-365).",
    )
    auto_close_days: int | None = strawberry.field(
        default=None,
        description="How many business days (Monday-Friday) after its resolution an incident "
        "closes by itself (0-365; 0: never).",
    )


@strawberry.input(description="A comment or work note.")
class AddCommentInput:
    body: str = strawberry.field(description="The text (1-20000 characters).")
    visibility: enums.CommentVisibility = strawberry.field(
        default=enums.CommentVisibility.WORK_NOTE, description="Who may read it."
    )
    author_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who wrote it, when not the caller (a User id; needs the permission "
        "incident:comment_on_behalf).",
    )


@strawberry.input(description="Which incidents to list; all conditions must hold.")
class IncidentFilter:
    status: list[enums.IncidentStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    priority: list[enums.Priority] | None = strawberry.field(
        default=None, description="Any of these priorities."
    )
    hold_reason: list[enums.HoldReason] | None = strawberry.field(
        default=None, description="ON_HOLD for any of these reasons."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assigned to this user."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assigned to this team."
    )
    ci_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="About this configuration item (as `ci` or among `affectedCis`).",
    )
    unassigned: bool | None = strawberry.field(
        default=None, description="True: nobody assigned; false: somebody assigned."
    )
    external_id: str | None = strawberry.field(
        default=None, description="With this id in the raising system (e.g. an alert fingerprint)."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Part of this incident (an alert group's children)."
    )
    search: str | None = strawberry.field(
        default=None, description="Words to find in title or description (full-text search)."
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="Created at or after."
    )
    created_before: datetime | None = strawberry.field(default=None, description="Created before.")
    updated_after: datetime | None = strawberry.field(
        default=None, description="Updated at or after."
    )
    updated_before: datetime | None = strawberry.field(default=None, description="Updated before.")
    tags: TagFilter | None = strawberry.field(
        default=None, description="With any and/or all of these tags."
    )
    custom_fields: list[IncidentFieldCondition] | None = strawberry.field(
        default=None, description="Conditions on custom field values (at most 20)."
    )


@strawberry.input(description="How to order incidents; ties are broken by id, so order is stable.")
class IncidentOrder:
    field: enums.IncidentSortField = strawberry.field(
        default=enums.IncidentSortField.OPENED_AT, description="What to sort by."
    )
    direction: enums.SortDirection = strawberry.field(
        default=enums.SortDirection.DESC, description="Direction."
    )
