"""The incident lifecycle's rules as data, on top of the transition table (rules.TRANSITIONS):
what each target status needs, what leaving a status clears, which hold reason needs a
public comment. `settle` applies them to a requested transition and answers the columns it
sets. Pure: no I/O, no GraphQL (the reopen window needs the clock: transitions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resolvers.errors import BadUserInput, Conflict
from subgraphs.incidents import rules
from subgraphs.incidents.enums import CommentVisibility, HoldReason, IncidentStatus, ResolutionCode

S = IncidentStatus

DEFAULT_REOPEN_WINDOW_DAYS = 7
REOPEN_WINDOW_MAX_DAYS = 365
REASON_MAX = 2_000
NOTES_MAX = rules.DESCRIPTION_MAX

# The fields (input names) a move to a status needs; a field is accepted only by the status
# that needs it.
REQUIRED: dict[IncidentStatus, tuple[str, ...]] = {
    S.ON_HOLD: ("holdReason",),
    S.RESOLVED: ("resolutionCode", "resolutionNotes"),
    S.CANCELLED: ("cancelReason",),
}
# Hold reasons that ask someone outside the desk: the question goes in the same mutation, as
# a PUBLIC comment.
NEEDS_PUBLIC_COMMENT = frozenset({HoldReason.AWAITING_CALLER})
# The hold reason that a PUBLIC comment by the reporter (the caller's reply) ends.
CALLER_REPLY_ENDS = HoldReason.AWAITING_CALLER
REOPEN = (S.RESOLVED, S.IN_PROGRESS)
# The columns a move clears: the hold reason lasts while the incident is ON_HOLD; a reopen
# forgets the resolution (a CLOSED incident keeps it). History keeps both.
CLEARED: dict[tuple[IncidentStatus, IncidentStatus], tuple[str, ...]] = {
    **{(S.ON_HOLD, target): ("hold_reason",) for target in rules.TRANSITIONS[S.ON_HOLD]},
    REOPEN: ("resolution_code", "resolution_notes"),
}

# The GraphQL name of each column a transition may set (history, events and audit use them).
FIELD_NAMES: dict[str, str] = {
    "status": "status",
    "hold_reason": "holdReason",
    "resolution_code": "resolutionCode",
    "resolution_notes": "resolutionNotes",
    "cancel_reason": "cancelReason",
    "reopen_count": "reopenCount",
}


@dataclass(frozen=True)
class NewComment:
    body: str
    visibility: CommentVisibility = CommentVisibility.PUBLIC
    source_event: int | None = None  # the event a reaction writes it for


@dataclass(frozen=True)
class TransitionRequest:
    """A move to `status` with the fields the move needs (None: not given)."""

    status: IncidentStatus
    hold_reason: HoldReason | None = None
    resolution_code: ResolutionCode | None = None
    resolution_notes: str | None = None
    cancel_reason: str | None = None
    comment: NewComment | None = None
    force: bool = False  # close a parent whose children are still open (family/cascade.py)


def settle(current: IncidentStatus, request: TransitionRequest) -> dict[str, Any]:
    """The columns the move sets ({column: value}); CONFLICT for an illegal move,
    BAD_USER_INPUT naming the field that is missing, empty, too long or not for this status."""
    target = request.status
    if target is current:
        raise Conflict(f"The incident is already {current.value}", field="status")
    if not rules.can_transition(current, target):
        raise Conflict(
            f"An incident cannot go from {current.value} to {target.value}",
            field="status",
            currentStatus=current.value,
        )
    given = {
        "holdReason": request.hold_reason,
        "resolutionCode": request.resolution_code,
        "resolutionNotes": request.resolution_notes,
        "cancelReason": request.cancel_reason,
    }
    needed = REQUIRED.get(target, ())
    for name, value in given.items():
        if value is not None and name not in needed:
            raise BadUserInput(f"{name} applies only to a move to {_needing(name)}", field=name)
    for name in needed:
        if given[name] is None:
            raise BadUserInput(f"{name} is required to move to {target.value}", field=name)
    values: dict[str, Any] = {"status": target.value}
    for column in CLEARED.get((current, target), ()):
        values[column] = None
    if target is S.ON_HOLD:
        assert request.hold_reason is not None
        values["hold_reason"] = request.hold_reason.value
        _check_comment(request)
    if target is S.RESOLVED:
        assert request.resolution_code is not None
        values["resolution_code"] = request.resolution_code.value
        values["resolution_notes"] = _text(request.resolution_notes, "resolutionNotes", NOTES_MAX)
    if target is S.CANCELLED:
        values["cancel_reason"] = _text(request.cancel_reason, "cancelReason", REASON_MAX)
    return values


def _check_comment(request: TransitionRequest) -> None:
    if request.hold_reason not in NEEDS_PUBLIC_COMMENT:
        return
    if request.comment is None or request.comment.visibility is not CommentVisibility.PUBLIC:
        raise BadUserInput(
            f"Holding for {request.hold_reason.value} needs a PUBLIC comment to the caller",
            field="comment",
        )


def _needing(name: str) -> str:
    return ", ".join(status.value for status, names in REQUIRED.items() if name in names)


def _text(value: str | None, name: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise BadUserInput(f"{name} must not be empty", field=name)
    if len(text) > limit:
        raise BadUserInput(f"{name} must be at most {limit} characters", field=name)
    return text
