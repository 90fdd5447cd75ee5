"""The entities and value types the problems subgraph owns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.batching import batched
from resolvers.columns import RowFields
from resolvers.ids import try_parse_id
from resolvers.loaders import rows_per_object
from resolvers.node_interface import Node
from resolvers.pagination import Pagination
from resolvers.references import ReferencedById
from subgraphs.problems import enums, permissions, rules
from subgraphs.problems.enums import stored
from subgraphs.problems.inputs import LinkedIncidentFilter
from subgraphs.problems.loaders import (
    AffectedCisByProblemIdLoader,
    ChangesByProblemIdLoader,
    CommentsByProblemIdLoader,
    ProblemByIdLoader,
)
from subgraphs.problems.references import ConfigurationItem, Team, User

if TYPE_CHECKING:
    from subgraphs.problems.incidents import LinkedIncidentConnection

# The page of a problem's incidents: incidents.py adds this subgraph's field to the incidents
# domain's entity and needs `Problem`, so this module names it lazily.
LinkedIncidents = Annotated[
    "LinkedIncidentConnection", strawberry.lazy("subgraphs.problems.incidents")
]

_VISIBILITY = stored(enums.CommentVisibility)
_STATUS = stored(enums.ProblemStatus)
_IMPACT = stored(enums.Impact)
_URGENCY = stored(enums.Urgency)
_KIND = stored(enums.ProblemChangeKind)
_RESOLUTION = stored(enums.ProblemResolutionCode)


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


def _resolution(value: str | None) -> enums.ProblemResolutionCode | None:
    return _RESOLUTION(value) if value else None


@strawberry.type(description="A comment or work note on a problem.")
class ProblemComment:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    body: str = strawberry.field(description="The text.")
    visibility: enums.CommentVisibility = strawberry.field(description="Who may read it.")
    author: User | None = strawberry.field(description="Who wrote it, if known.")
    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_row(cls, row: Any) -> ProblemComment:
        return COMMENT_ROWS.read(row)


COMMENT_ROWS = RowFields(
    ProblemComment,
    {
        "id": ("id", str),
        "body": "body",
        "visibility": ("visibility", _VISIBILITY),
        "author": ("author_id", User.ref),
        "created_at": "created_at",
    },
)


@strawberry.type(description="One field's value before and after a change to a problem.")
class ProblemFieldChange:
    field: str = strawberry.field(description="The field's name.")
    old_value: str | None = strawberry.field(description="Value before, as text.")
    new_value: str | None = strawberry.field(description="Value after, as text.")


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return None if value is None else str(value)


@strawberry.type(description="An entry in a problem's history.")
class ProblemChange:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    kind: enums.ProblemChangeKind = strawberry.field(description="What kind of change it was.")
    actor: User | None = strawberry.field(description="Who made it, if known.")
    changes: list[ProblemFieldChange] = strawberry.field(description="What changed.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: Any) -> ProblemChange:
        return cls(
            id=_id(row.id),
            kind=_KIND(row.kind),
            actor=User.ref(row.actor_id),
            changes=[
                ProblemFieldChange(field=name, old_value=_text(old), new_value=_text(new))
                for name, (old, new) in row.changes.items()
            ],
            created_at=row.created_at,
        )


async def affected_cis_of(
    problems: Sequence[Problem], info: strawberry.Info
) -> list[list[ConfigurationItem]]:
    """`Problem.affectedCis` of many problems at once (resolvers/batching.py)."""
    per_problem = await rows_per_object(
        info.context, AffectedCisByProblemIdLoader, problems, _AFFECTED_COLUMNS
    )
    return [[ConfigurationItem(id=_id(row.ci_id)) for row in rows] for rows in per_problem]


async def comments_of(
    problems: Sequence[Problem], info: strawberry.Info
) -> list[Sequence[ProblemComment]]:
    """`Problem.comments` of many problems at once (resolvers/batching.py)."""
    columns = COMMENT_ROWS.columns(info)
    per_problem = await rows_per_object(info.context, CommentsByProblemIdLoader, problems, columns)
    return [COMMENT_ROWS.many(rows) for rows in per_problem]


async def history_of(
    problems: Sequence[Problem], info: strawberry.Info
) -> list[list[ProblemChange]]:
    """`Problem.history` of many problems at once (resolvers/batching.py)."""
    per_problem = await rows_per_object(info.context, ChangesByProblemIdLoader, problems)
    return [[ProblemChange.from_row(row) for row in rows] for rows in per_problem]


@strawberry.federation.type(
    keys=["id"],
    description="The cause of one or more incidents: its root cause analysis, its fix, and "
    "once known, a known error with a workaround for the service desk.",
)
class Problem(ReferencedById, Node):
    reference_permission = permissions.VIEW
    reference_loader = ProblemByIdLoader

    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    number: str = strawberry.field(description="Human number within the tenant, e.g. PRB-17.")
    title: str = strawberry.field(description="One-line summary.")
    description: str = strawberry.field(description="What recurs, in detail.")
    status: enums.ProblemStatus = strawberry.field(description="Where the problem is in its life.")
    priority: enums.Priority = strawberry.field(description="How soon work must happen.")
    priority_overridden: bool = strawberry.field(
        description="True when priority was set by hand instead of derived."
    )
    impact: enums.Impact = strawberry.field(description="How much of the business is affected.")
    urgency: enums.Urgency = strawberry.field(description="How quickly a fix is needed.")
    category: str | None = strawberry.field(description="Free-form category, e.g. network.")
    assignee: User | None = strawberry.field(description="Who works on it.")
    team: Team | None = strawberry.field(description="The assignment group.")
    ci: ConfigurationItem | None = strawberry.field(
        description="The configuration item (the CMDB's) the problem is primarily about."
    )
    root_cause: str | None = strawberry.field(description="What causes the incidents.")
    cause_code: str | None = strawberry.field(description="A code classifying the cause.")
    root_cause_ci: ConfigurationItem | None = strawberry.field(
        description="The configuration item at fault."
    )
    resolution_code: enums.ProblemResolutionCode | None = strawberry.field(
        description="How it was resolved."
    )
    resolution_notes: str | None = strawberry.field(description="What was done.")
    known_error: bool = strawberry.field(
        description="True once recorded as a known error (markKnownError)."
    )
    symptom: str | None = strawberry.field(description="What users see (a known error's).")
    workaround: str | None = strawberry.field(description="How to get going again until the fix.")
    error_code: str | None = strawberry.field(description="The known error's code.")
    known_error_at: datetime | None = strawberry.field(
        description="When it was recorded as a known error."
    )
    workaround_published_at: datetime | None = strawberry.field(
        description="When the workaround was last published to the linked incidents."
    )
    opened_at: datetime = strawberry.field(description="When it was opened.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    closed_at: datetime | None = strawberry.field(description="When it was closed or cancelled.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")

    @strawberry.field(
        description="Further configuration items the problem affects.",
        metadata=batched(affected_cis_of, by_id=True),
    )
    async def affected_cis(self, info: strawberry.Info) -> list[ConfigurationItem]:
        return (await affected_cis_of([self], info))[0]

    @strawberry.field(
        description="Comments and work notes, oldest first.",
        metadata=batched(comments_of, by_id=True),
    )
    async def comments(self, info: strawberry.Info) -> list[ProblemComment]:
        return list((await comments_of([self], info))[0])

    @strawberry.field(
        description="Every change made to the problem, oldest first.",
        metadata=batched(history_of, by_id=True),
    )
    async def history(self, info: strawberry.Info) -> list[ProblemChange]:
        return (await history_of([self], info))[0]

    @strawberry.field(
        description="The incidents linked to the problem, most recently linked first (the "
        "incidents subgraph describes them); the same field of many problems is read at once."
    )
    async def incidents(
        self,
        info: strawberry.Info,
        filter: LinkedIncidentFilter | None = None,
        pagination: Pagination | None = None,
    ) -> LinkedIncidents:
        from subgraphs.problems.incidents import incidents_of_problem

        return await incidents_of_problem(info, try_parse_id(self.id), filter, pagination)


_AFFECTED_COLUMNS = frozenset({"ci_id"})

Problem.row_fields = RowFields(
    Problem,
    {
        "id": ("id", str),
        "number": ("number", rules.format_number),
        "title": "title",
        "description": "description",
        "status": ("status", _STATUS),
        "priority": ("priority", rules.PRIORITY_BY_RANK.__getitem__),
        "priority_overridden": "priority_overridden",
        "impact": ("impact", _IMPACT),
        "urgency": ("urgency", _URGENCY),
        "category": "category",
        "assignee": ("assignee_id", User.ref),
        "team": ("team_id", Team.ref),
        "ci": ("ci_id", ConfigurationItem.ref),
        "root_cause": "root_cause",
        "cause_code": "cause_code",
        "root_cause_ci": ("root_cause_ci_id", ConfigurationItem.ref),
        "resolution_code": ("resolution_code", _resolution),
        "resolution_notes": "resolution_notes",
        "known_error": "known_error",
        "symptom": "symptom",
        "workaround": "workaround",
        "error_code": "error_code",
        "known_error_at": "known_error_at",
        "workaround_published_at": "workaround_published_at",
        "opened_at": "opened_at",
        "resolved_at": "resolved_at",
        "closed_at": "closed_at",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    needs={"comments": (), "history": (), "affected_cis": (), "incidents": ()},
)
