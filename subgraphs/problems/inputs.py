"""Inputs, filters and orderings of the problems API."""

from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.problems import enums


@strawberry.input(description="A new problem. Priority follows impact × urgency unless given.")
class CreateProblemInput:
    title: str = strawberry.field(description="One-line summary (1-200 characters).")
    description: str = strawberry.field(default="", description="What recurs, in detail.")
    impact: enums.Impact = strawberry.field(default=enums.Impact.MEDIUM, description="Impact.")
    urgency: enums.Urgency = strawberry.field(default=enums.Urgency.MEDIUM, description="Urgency.")
    priority: enums.Priority | None = strawberry.field(
        default=None, description="Set to override the priority derived from impact × urgency."
    )
    category: str | None = strawberry.field(default=None, description="Free-form category.")
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="A User id.")
    team_id: strawberry.ID | None = strawberry.field(default=None, description="A Team id.")
    ci_id: strawberry.ID | None = strawberry.field(
        default=None, description="The configuration item it is about (a ConfigurationItem id)."
    )
    affected_ci_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Further configuration items it affects (ConfigurationItem ids, at most 100).",
    )


@strawberry.input(description="Changes to a problem; omitted fields stay as they are.")
class UpdateProblemInput:
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
    root_cause: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="What causes the incidents (needed to move past ROOT_CAUSE_ANALYSIS).",
    )
    cause_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="A code classifying the cause, for reports."
    )
    root_cause_ci_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The configuration item at fault (a ConfigurationItem id); null clears it.",
    )
    resolution_code: enums.ProblemResolutionCode | None = strawberry.field(
        default=strawberry.UNSET, description="How it was resolved (needed to be RESOLVED)."
    )
    resolution_notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="What was done."
    )
    status: enums.ProblemStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="Move to this status; an illegal transition is a CONFLICT error, a missing "
        "root cause or resolution code BAD_USER_INPUT, closing without problem:manage FORBIDDEN.",
    )


@strawberry.input(description="A comment or work note on a problem.")
class AddProblemCommentInput:
    body: str = strawberry.field(description="The text (1-20000 characters).")
    visibility: enums.CommentVisibility = strawberry.field(
        default=enums.CommentVisibility.WORK_NOTE, description="Who may read it."
    )


@strawberry.input(description="What makes a problem a known error (iTop's KnownError).")
class MarkKnownErrorInput:
    symptom: str = strawberry.field(description="What users see (1-20000 characters).")
    workaround: str = strawberry.field(
        description="How to get going again until the fix (1-20000 characters); reaches the "
        "linked incidents when published (publishWorkaround)."
    )
    error_code: str | None = strawberry.field(
        default=None, description="The error's code, e.g. a vendor's (at most 100 characters)."
    )


@strawberry.input(description="Which problems to list; all conditions must hold.")
class ProblemFilter:
    status: list[enums.ProblemStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    priority: list[enums.Priority] | None = strawberry.field(
        default=None, description="Any of these priorities."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assigned to this user."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assigned to this team."
    )
    ci_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="About this configuration item (as `ci`, `rootCauseCi` or among "
        "`affectedCis`).",
    )
    category: str | None = strawberry.field(default=None, description="Of this category.")
    known_error: bool | None = strawberry.field(
        default=None, description="True: known errors only; false: the others."
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


@strawberry.input(description="How to order problems; ties are broken by id, so order is stable.")
class ProblemOrder:
    field: enums.ProblemSortField = strawberry.field(
        default=enums.ProblemSortField.OPENED_AT, description="What to sort by."
    )
    direction: enums.SortDirection = strawberry.field(
        default=enums.SortDirection.DESC, description="Direction."
    )


@strawberry.input(
    description="Which of a problem's incidents to list, by what the problems domain knows of "
    "them (its read model of the incidents domain's events)."
)
class LinkedIncidentFilter:
    status: list[enums.IncidentStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
