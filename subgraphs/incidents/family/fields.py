"""The family's fields of `Incident` (a base class of types.Incident): parent and children,
major incident state, duplicates, watchers. Each list field has a batch resolver
(resolvers/batching.py), so a page of incidents costs one statement per field."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.batching import batched
from resolvers.ids import try_parse_ids
from subgraphs.incidents.family.enums import MajorIncidentState
from subgraphs.incidents.family.loaders import (
    ChildrenByParentIdLoader,
    DuplicatesByOriginalIdLoader,
    WatchersByIncidentIdLoader,
)
from subgraphs.incidents.loaders import IncidentByIdLoader
from subgraphs.incidents.references import User

if TYPE_CHECKING:
    from subgraphs.incidents.types import Incident

IncidentRef = Annotated["Incident", strawberry.lazy("subgraphs.incidents.types")]

ACCEPTED = MajorIncidentState.ACCEPTED.value  # rules.is_major, for one column
_MAJOR: dict[str | None, MajorIncidentState | None] = {None: None}
_MAJOR.update((state.value, state) for state in MajorIncidentState)


def _incident_type() -> Any:
    from subgraphs.incidents.types import Incident

    return Incident


async def _one_each(incidents: Sequence[Any], info: strawberry.Info, attribute: str) -> list[Any]:
    """The incident each one's `attribute` (an id) names, or None."""
    incident = _incident_type()
    columns = incident.row_fields.columns(info)
    loader = info.context.loaders.get(IncidentByIdLoader)
    keys = try_parse_ids([getattr(one, attribute) for one in incidents])
    rows = await asyncio.gather(*(loader.load(key, columns) if key else _none() for key in keys))
    return [incident.from_row(row) if row is not None else None for row in rows]


async def _none() -> None:
    return None


async def _many_each(
    incidents: Sequence[Any], info: strawberry.Info, loader_class: type[Any]
) -> list[list[Any]]:
    incident = _incident_type()
    columns = incident.row_fields.columns(info)
    loader = info.context.loaders.get(loader_class)
    keys = try_parse_ids([one.id for one in incidents])
    per_incident = await asyncio.gather(*(loader.load(key, columns) for key in keys))
    return [[incident.from_row(row) for row in rows] for rows in per_incident]


async def parents_of(incidents: Sequence[Any], info: strawberry.Info) -> list[Any]:
    return await _one_each(incidents, info, "parent_id")


async def children_of(incidents: Sequence[Any], info: strawberry.Info) -> list[list[Any]]:
    return await _many_each(incidents, info, ChildrenByParentIdLoader)


async def originals_of(incidents: Sequence[Any], info: strawberry.Info) -> list[Any]:
    return await _one_each(incidents, info, "duplicate_of_id")


async def duplicates_of(incidents: Sequence[Any], info: strawberry.Info) -> list[list[Any]]:
    return await _many_each(incidents, info, DuplicatesByOriginalIdLoader)


async def watchers_of(incidents: Sequence[Any], info: strawberry.Info) -> list[list[User]]:
    loader = info.context.loaders.get(WatchersByIncidentIdLoader)
    keys = try_parse_ids([one.id for one in incidents])
    per_incident = await asyncio.gather(*(loader.load(key, _WATCHER_COLUMNS) for key in keys))
    return [[User(id=strawberry.ID(str(row.user_id))) for row in rows] for rows in per_incident]


_WATCHER_COLUMNS = frozenset({"user_id"})


@strawberry.type
class FamilyFields:
    """Fields of `Incident` (it inherits them); read from its row like its own."""

    major: bool = strawberry.field(
        description="True for a major incident (proposed and accepted). Major incidents do "
        "not push their status to their children and never close by themselves."
    )
    major_state: MajorIncidentState | None = strawberry.field(
        description="Where its major incident proposal stands; null when never proposed."
    )
    major_reason: str | None = strawberry.field(
        description="Why it was proposed as a major incident (once rejected: why not)."
    )
    duplicate_of_id: strawberry.ID | None = strawberry.field(
        description="The incident it duplicates (it was cancelled as a DUPLICATE), if any."
    )

    @strawberry.field(
        description="The incident it is part of (its parent), if any.",
        metadata=batched(parents_of),
    )
    async def parent(self, info: strawberry.Info) -> IncidentRef | None:
        return (await parents_of([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(
        description="Its child incidents, by number. When it moves to IN_PROGRESS, to "
        "ON_HOLD for a change, problem or vendor, or to RESOLVED, its open children follow "
        "(not for a major incident).",
        metadata=batched(children_of, by_id=True),
    )
    async def children(self, info: strawberry.Info) -> list[IncidentRef]:
        return (await children_of([self], info))[0]

    @strawberry.field(
        description="The incident it duplicates, if any.", metadata=batched(originals_of)
    )
    async def duplicate_of(self, info: strawberry.Info) -> IncidentRef | None:
        return (await originals_of([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(
        description="The incidents marked duplicates of it, by number.",
        metadata=batched(duplicates_of, by_id=True),
    )
    async def duplicates(self, info: strawberry.Info) -> list[IncidentRef]:
        return (await duplicates_of([self], info))[0]

    @strawberry.field(
        description="The users watching it, in the order they started.",
        metadata=batched(watchers_of, by_id=True),
    )
    async def watchers(self, info: strawberry.Info) -> list[User]:
        return (await watchers_of([self], info))[0]


def _major(state: str | None) -> bool:
    return state == ACCEPTED


def _optional_id(value: Any) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


# Incident.row_fields' entries for these fields (types.py merges them).
ROW_ATTRIBUTES: dict[str, Any] = {
    "major": ("major_state", _major),
    "major_state": ("major_state", _MAJOR.__getitem__),
    "major_reason": "major_reason",
    "duplicate_of_id": ("duplicate_of_id", _optional_id),
}
NEEDS: dict[str, tuple[str, ...]] = {
    "parent": ("parent_id",),
    "children": (),
    "duplicate_of": ("duplicate_of_id",),
    "duplicates": (),
    "watchers": (),
}
