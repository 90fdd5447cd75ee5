"""The entities and value types the incidents subgraph owns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers.batching import batched
from resolvers.columns import RowFields
from resolvers.errors import BadUserInput
from resolvers.ids import try_parse_id, try_parse_ids
from resolvers.loaders import rows_per_object
from resolvers.node_interface import Node
from resolvers.references import ReferencedById
from subgraphs.incidents import enums, permissions, rules
from subgraphs.incidents.attachments.types import Attachment, attachments_of
from subgraphs.incidents.family import fields as family
from subgraphs.incidents.loaders import (
    AffectedCisByIncidentIdLoader,
    ChangesByIncidentIdLoader,
    CommentsByIncidentIdLoader,
    FirstCommentsByIncidentIdLoader,
    FirstPublicCommentsByIncidentIdLoader,
    IncidentByIdLoader,
    LastCommentsByIncidentIdLoader,
    LastPublicCommentsByIncidentIdLoader,
    PublicCommentsByIncidentIdLoader,
)
from subgraphs.incidents.references import Team, User

if TYPE_CHECKING:
    from subgraphs.incidents.configuration_items import ConfigurationItem

# The CMDB's entity, to which configuration_items.py adds this subgraph's fields: that module
# needs `Incident`, so this one names it lazily.
ConfigurationItemRef = Annotated[
    "ConfigurationItem", strawberry.lazy("subgraphs.incidents.configuration_items")
]

_VISIBILITY = enums.stored(enums.CommentVisibility)
_STATUS = enums.stored(enums.IncidentStatus)
_IMPACT = enums.stored(enums.Impact)
_URGENCY = enums.stored(enums.Urgency)
_SOURCE = enums.stored(enums.IncidentSource)
_KIND = enums.stored(enums.ChangeKind)


def _optional(enum: type[enums.E]) -> Callable[[str | None], enums.E | None]:
    """`enums.stored` for a nullable column."""
    members: dict[str | None, enums.E | None] = {None: None}
    members.update((member.value, member) for member in enum)
    return members.__getitem__


_HOLD = _optional(enums.HoldReason)
_RESOLUTION = _optional(enums.ResolutionCode)


@strawberry.type(description="A comment or work note on an incident.")
class IncidentComment:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    body: str = strawberry.field(description="The text.")
    visibility: enums.CommentVisibility = strawberry.field(description="Who may read it.")
    author: User | None = strawberry.field(description="Who wrote it, if known.")
    mentions: list[User] = strawberry.field(
        description="The users its body mentions (`@[Name](user id)`), in order of first mention."
    )
    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_row(cls, row: Any) -> IncidentComment:
        return COMMENT_ROWS.read(row)


@strawberry.type(description="One field's value before and after a change.")
class FieldChange:
    field: str = strawberry.field(description="The field's name.")
    old_value: str | None = strawberry.field(description="Value before, as text.")
    new_value: str | None = strawberry.field(description="Value after, as text.")


@strawberry.type(description="An entry in an incident's history.")
class IncidentChange:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    kind: enums.ChangeKind = strawberry.field(description="What kind of change this was.")
    actor: User | None = strawberry.field(description="Who made it, if known.")
    changes: list[FieldChange] = strawberry.field(description="What changed.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: Any) -> IncidentChange:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=_KIND(row.kind),
            actor=User.ref(row.actor_id),
            changes=field_changes(row.changes),
            created_at=row.created_at,
        )


def field_changes(changes: dict[str, Any]) -> list[FieldChange]:
    """`{field: [old, new]}` (history, events, audit) as FieldChange values."""
    return [
        FieldChange(field=name, old_value=_text(old), new_value=_text(new))
        for name, (old, new) in changes.items()
    ]


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return None if value is None else str(value)


def users(ids: Sequence[Any] | None) -> list[User]:
    """Stubs of the users with these ids (a uuid[] column)."""
    return [User(id=strawberry.ID(str(id))) for id in ids or ()]


def _optional_id(value: Any) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _configuration_item() -> type[ConfigurationItem]:
    """The class, imported when first used (its module imports this one)."""
    from subgraphs.incidents.configuration_items import ConfigurationItem

    return ConfigurationItem


def _ci(id: Any) -> ConfigurationItem | None:
    return _configuration_item().ref(id)


async def affected_cis_of(
    incidents: Sequence[Incident], info: strawberry.Info
) -> list[list[ConfigurationItem]]:
    """`Incident.affectedCis` of many incidents at once (resolvers/batching.py)."""
    keys = try_parse_ids([incident.id for incident in incidents])
    loader = info.context.loaders.get(AffectedCisByIncidentIdLoader)
    # Loads, not one read: lists of incidents completed side by side (the open incidents of
    # many configuration items) share one batch.
    per_incident = await asyncio.gather(*(loader.load(key, _AFFECTED_COLUMNS) for key in keys))
    stub = _configuration_item().stub
    return [[stub(row.ci_id) for row in rows] for rows in per_incident]


_AFFECTED_COLUMNS = frozenset({"ci_id"})


COMMENT_ROWS = RowFields(
    IncidentComment,
    {
        "id": ("id", str),
        "body": "body",
        "visibility": ("visibility", _VISIBILITY),
        "author": ("author_id", User.ref),
        "mentions": ("mention_ids", users),
        "created_at": "created_at",
    },
)


async def comments_of(
    incidents: Sequence[Incident],
    info: strawberry.Info,
    first: int | None = None,
    last: int | None = None,
) -> list[Sequence[IncidentComment]]:
    """`Incident.comments` of many incidents at once (resolvers/batching.py)."""
    loader, size = _comments_loader(info, first, last)
    keys = try_parse_ids([incident.id for incident in incidents])
    columns = COMMENT_ROWS.columns(info)
    if size is None:
        per_incident = await loader.read_many(keys, columns)
    else:
        per_incident = await loader.read_many([(key, size) for key in keys], columns)
    return [COMMENT_ROWS.many(rows) for rows in per_incident]


async def history_of(
    incidents: Sequence[Incident], info: strawberry.Info
) -> list[list[IncidentChange]]:
    """`Incident.history` of many incidents at once (resolvers/batching.py)."""
    per_incident = await rows_per_object(info.context, ChangesByIncidentIdLoader, incidents)
    return [[IncidentChange.from_row(row) for row in rows] for rows in per_incident]


def _comments_loader(
    info: strawberry.Info, first: int | None, last: int | None
) -> tuple[Any, int | None]:
    """The loader of the comments asked for and how many per incident (None: all, keyed
    by incident id; else keyed by (incident id, how many))."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= 100:
            raise BadUserInput(f"{name} must be between 0 and 100", argument=name)
    loaders = info.context.loaders
    if first is not None and last is not None:
        raise BadUserInput("Pass either first or last, not both", argument="last")
    # Work notes only for those who may read them: the loaders without them read other rows,
    # so nothing cached for one caller is served to the other.
    every = info.context.principal.can(permissions.WORKNOTES_VIEW)
    all_of, oldest, newest = _COMMENT_LOADERS[every]
    if first is not None:
        return loaders.get(oldest), first
    if last is not None:
        return loaders.get(newest), last
    return loaders.get(all_of), None


# Whether the caller may read work notes → its loaders of all, the oldest and the newest comments.
_COMMENT_LOADERS: dict[bool, tuple[type[Any], type[Any], type[Any]]] = {
    True: (
        CommentsByIncidentIdLoader,
        FirstCommentsByIncidentIdLoader,
        LastCommentsByIncidentIdLoader,
    ),
    False: (
        PublicCommentsByIncidentIdLoader,
        FirstPublicCommentsByIncidentIdLoader,
        LastPublicCommentsByIncidentIdLoader,
    ),
}


@strawberry.federation.type(
    keys=["id"], description="An unplanned interruption or degradation of a service."
)
class Incident(family.FamilyFields, ReferencedById, Node):
    reference_permission = permissions.VIEW
    reference_loader = IncidentByIdLoader

    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    number: str = strawberry.field(description="Human number within the tenant, e.g. INC-1042.")
    title: str = strawberry.field(description="One-line summary.")
    description: str = strawberry.field(description="What is wrong, in detail.")
    status: enums.IncidentStatus = strawberry.field(
        description="Where the incident is in its life."
    )
    priority: enums.Priority = strawberry.field(description="How soon work must happen.")
    priority_overridden: bool = strawberry.field(
        description="True when priority was set by hand instead of derived."
    )
    impact: enums.Impact = strawberry.field(description="How much of the business is affected.")
    urgency: enums.Urgency = strawberry.field(description="How quickly a fix is needed.")
    category: str | None = strawberry.field(description="Free-form category, e.g. network.")
    source: enums.IncidentSource = strawberry.field(description="How the incident arrived.")
    external_id: str | None = strawberry.field(
        description="Id in the system that raised it (e.g. an alert fingerprint)."
    )
    assignee: User | None = strawberry.field(description="Who works on it.")
    team: Team | None = strawberry.field(description="The assignment group.")
    reporter: User | None = strawberry.field(description="Who reported it.")
    ci: ConfigurationItemRef | None = strawberry.field(
        description="The configuration item (the CMDB's) the incident is primarily about."
    )
    opened_at: datetime = strawberry.field(description="When it was opened.")
    acknowledged_at: datetime | None = strawberry.field(
        description="When work first started (first move to IN_PROGRESS)."
    )
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    closed_at: datetime | None = strawberry.field(description="When it was closed or cancelled.")
    hold_reason: enums.HoldReason | None = strawberry.field(
        description="Why it is ON_HOLD; null in every other status."
    )
    resolution_code: enums.ResolutionCode | None = strawberry.field(
        description="How it was resolved (RESOLVED and CLOSED incidents)."
    )
    resolution_notes: str | None = strawberry.field(
        description="What was done to resolve it (RESOLVED and CLOSED incidents)."
    )
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    reopen_count: int = strawberry.field(
        description="How many times it was reopened (RESOLVED back to IN_PROGRESS)."
    )
    alert_count: int = strawberry.field(
        description="How many distinct firings of its alert it received (source MONITORING, "
        "from an alert integration; 0 for every other incident)."
    )
    last_alert_at: datetime | None = strawberry.field(
        description="When its alert last fired (null when not from an alert)."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        description="The incident it is part of (an alert group's incident for the group's "
        "alerts), if any."
    )
    tags: list[str] = strawberry.field(description="Its labels (normalised: lower-case), sorted.")
    custom_fields: JSON = strawberry.field(
        description="Values of the tenant's custom fields (incidentFields), by field name; "
        "a field without a value is absent."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")

    @strawberry.field(
        description="Comments and work notes, oldest first (work notes only for callers with "
        "the permission incident:worknotes:view).",
        metadata=batched(comments_of, by_id=True),
    )
    async def comments(
        self,
        info: strawberry.Info,
        first: Annotated[
            int | None, strawberry.argument(description="Only the oldest N (at most 100).")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="Only the newest N (at most 100).")
        ] = None,
    ) -> list[IncidentComment]:
        loader, size = _comments_loader(info, first, last)
        key = try_parse_id(self.id)
        rows = await loader.load(key if size is None else (key, size), COMMENT_ROWS.columns(info))
        return [COMMENT_ROWS.read(row) for row in rows]

    @strawberry.field(
        description="Further configuration items the incident affects (its `ci` not repeated).",
        metadata=batched(affected_cis_of, by_id=True),
    )
    async def affected_cis(self, info: strawberry.Info) -> list[ConfigurationItemRef]:
        return (await affected_cis_of([self], info))[0]

    @strawberry.field(
        description="Files attached to it, oldest first (addIncidentAttachment).",
        metadata=batched(attachments_of, by_id=True),
    )
    async def attachments(self, info: strawberry.Info) -> list[Attachment]:
        return (await attachments_of([self], info))[0]

    @strawberry.field(
        description="Every change made to the incident, oldest first.",
        metadata=batched(history_of, by_id=True),
    )
    async def history(self, info: strawberry.Info) -> list[IncidentChange]:
        return (await history_of([self], info))[0]


Incident.row_fields = RowFields(
    Incident,
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
        "source": ("source", _SOURCE),
        "external_id": "external_id",
        "assignee": ("assignee_id", User.ref),
        "team": ("team_id", Team.ref),
        "reporter": ("reporter_id", User.ref),
        "ci": ("ci_id", _ci),
        "opened_at": "opened_at",
        "acknowledged_at": "acknowledged_at",
        "resolved_at": "resolved_at",
        "closed_at": "closed_at",
        "hold_reason": ("hold_reason", _HOLD),
        "resolution_code": ("resolution_code", _RESOLUTION),
        "resolution_notes": "resolution_notes",
        "cancel_reason": "cancel_reason",
        "reopen_count": "reopen_count",
        "alert_count": "alert_count",
        "last_alert_at": "last_alert_at",
        "parent_id": ("parent_id", _optional_id),
        "tags": "tags",
        "custom_fields": "custom_fields",
        "created_at": "created_at",
        "updated_at": "updated_at",
        **family.ROW_ATTRIBUTES,
    },
    needs={
        "comments": (),
        "history": (),
        "affected_cis": (),
        "attachments": (),
        **family.NEEDS,
    },
)
