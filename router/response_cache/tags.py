"""The entities a response contains, for tagging cache entries and invalidating them.

Walks the client's data along the normalised operation: every object is an entity of its
field's type, identified by its ``id`` field when the client selected one. A cached entry is
tagged ``Type:id`` for each identified object, and ``Type`` for objects in a list (a new or
deleted entity changes the list) or without a selected id; a change to entity ``Type:id``
invalidates both tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from router.planning.operation import Field, NormalizedOperation, Selection


@dataclass(frozen=True, slots=True)
class EntityRef:
    type_name: str
    id: str | None
    in_list: bool


def entities_in(operation: NormalizedOperation, data: dict[str, Any] | None) -> set[EntityRef]:
    """Every object in ``data`` (the shaped response data of ``operation``)."""
    found: set[EntityRef] = set()
    if data is not None:
        _walk_object(operation.selections, data, False, found)
    return found


def entry_tags(entities: Iterable[EntityRef]) -> set[str]:
    """The tags a cache entry holding these entities carries."""
    tags: set[str] = set()
    for entity in entities:
        if entity.id is not None:
            tags.add(f"{entity.type_name}:{entity.id}")
        if entity.id is None or entity.in_list:
            tags.add(entity.type_name)
    return tags


def subgraph_tags(subgraphs: Iterable[str]) -> set[str]:
    """Tags naming the subgraphs an entry read from, or a change was made in.

    Entity tags miss what a change adds to: a new incident changes `incidents { totalCount }`,
    which holds no Incident. Every entry therefore also carries the subgraphs it read, and a
    change made in a subgraph (a mutation there, or one of its events) drops them all."""
    return {f"@{name}" for name in subgraphs}


def change_tags(type_name: str, entity_id: str | None) -> set[str]:
    """The tags a change to one entity invalidates."""
    return {type_name} if entity_id is None else {type_name, f"{type_name}:{entity_id}"}


def _fields(selections: tuple[Selection, ...]) -> Iterable[Field]:
    for selection in selections:
        if isinstance(selection, Field):
            yield selection
        else:
            yield from _fields(selection.selections)


def _walk_object(
    selections: tuple[Selection, ...], value: dict[str, Any], in_list: bool, found: set[EntityRef]
) -> None:
    for field in _fields(selections):
        if field.selections and field.response_key in value:
            _walk_value(field, value[field.response_key], in_list, found)


def _walk_value(field: Field, value: Any, in_list: bool, found: set[EntityRef]) -> None:
    if isinstance(value, list):
        if not value:  # what a new entity would add to: every type the items could hold
            found.update(EntityRef(name, None, True) for name in _composite_types(field))
        for item in value:
            _walk_value(field, item, True, found)
        return
    if not isinstance(value, dict):
        found.add(EntityRef(field.type_name, None, in_list))
        return
    id_keys = [f.response_key for f in _fields(field.selections) if f.name == "id"]
    entity_id = value.get(id_keys[0]) if id_keys else None
    found.add(EntityRef(field.type_name, str(entity_id) if entity_id else None, in_list))
    _walk_object(field.selections, value, in_list, found)


def _composite_types(field: Field) -> set[str]:
    names = {field.type_name}
    for inner in _fields(field.selections):
        if inner.selections:
            names |= _composite_types(inner)
    return names
