"""The bulk update's GraphQL types: its input, each incident's result, the whole batch and
its progress events."""

from __future__ import annotations

from typing import Any

import strawberry

from subgraphs.incidents import enums


@strawberry.input(
    description="What to change on every incident of a bulk update (omitted: left alone). A "
    "status needs what a single transition to it needs (resolution code and notes, hold "
    "reason, cancel reason)."
)
class BulkUpdateIncidentsInput:
    status: enums.IncidentStatus | None = strawberry.field(default=None, description="Move to.")
    hold_reason: enums.HoldReason | None = strawberry.field(
        default=None, description="Why (ON_HOLD only; AWAITING_CALLER needs a comment: refused)."
    )
    resolution_code: enums.ResolutionCode | None = strawberry.field(
        default=None, description="How it was resolved (RESOLVED only)."
    )
    resolution_notes: str | None = strawberry.field(
        default=None, description="What was done (RESOLVED only)."
    )
    cancel_reason: str | None = strawberry.field(default=None, description="Why (CANCELLED only).")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assign to this user (needs incident:assign too)."
    )
    team_id: strawberry.ID | None = strawberry.field(default=None, description="Hand to a team.")
    priority: enums.Priority | None = strawberry.field(
        default=None, description="Override the priority."
    )


@strawberry.type(description="What a bulk update did to one incident.")
class BulkUpdateItemResult:
    id: strawberry.ID = strawberry.field(description="The id as given.")
    ok: bool = strawberry.field(description="True: changed (or already as asked).")
    code: str | None = strawberry.field(
        description="Why not: NOT_FOUND, CONFLICT, BAD_USER_INPUT, ... (as the single mutation "
        "would answer)."
    )
    message: str | None = strawberry.field(description="The error's message.")

    @classmethod
    def of(cls, result: dict[str, Any]) -> BulkUpdateItemResult:
        return cls(
            id=strawberry.ID(result["id"]),
            ok=result["ok"],
            code=result["code"],
            message=result["message"],
        )


@strawberry.type(description="A bulk update: how far it got and each incident's result.")
class IncidentBulkUpdate:
    job_id: strawberry.ID = strawberry.field(
        description="Follow it with bulkUpdateProgress(jobId); read it with incidentBulkUpdate."
    )
    total: int = strawberry.field(description="How many ids it names.")
    processed: int = strawberry.field(description="How many are done.")
    succeeded: int = strawberry.field(description="How many of those succeeded.")
    failed: int = strawberry.field(description="How many of those failed.")
    done: bool = strawberry.field(
        description="True when every id is done (batches over 50 ids run in the background)."
    )
    results: list[BulkUpdateItemResult] = strawberry.field(
        description="One per id done, in the order given."
    )

    @classmethod
    def of(cls, row: Any) -> IncidentBulkUpdate:
        return cls(
            job_id=strawberry.ID(str(row.id)),
            total=row.total,
            processed=row.processed,
            succeeded=row.succeeded,
            failed=row.processed - row.succeeded,
            done=row.processed >= row.total,
            results=[BulkUpdateItemResult.of(result) for result in row.results],
        )


@strawberry.type(description="A chunk of a bulk update committed.")
class BulkUpdateProgress:
    job_id: strawberry.ID = strawberry.field(description="The bulk update.")
    total: int = strawberry.field(description="How many ids it names.")
    processed: int = strawberry.field(description="How many are done so far.")
    succeeded: int = strawberry.field(description="How many of those succeeded.")
    failed: int = strawberry.field(description="How many of those failed.")
    done: bool = strawberry.field(description="True on the last one.")
    results: list[BulkUpdateItemResult] = strawberry.field(
        description="The results of the ids this chunk did (on the first message of a "
        "subscription, of every id done so far)."
    )

    @classmethod
    def of(cls, payload: dict[str, Any]) -> BulkUpdateProgress:
        return cls(
            job_id=strawberry.ID(payload["id"]),
            total=payload["total"],
            processed=payload["processed"],
            succeeded=payload["succeeded"],
            failed=payload["processed"] - payload["succeeded"],
            done=payload["done"],
            results=[BulkUpdateItemResult.of(result) for result in payload["results"]],
        )
