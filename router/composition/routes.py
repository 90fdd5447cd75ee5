"""How a fetch in one subgraph reaches an entity field another subgraph resolves.

Shared by the satisfiability check (composition refuses what cannot be planned) and by the
planner (which picks one of the routes), so the two can never disagree.

A route is direct when the source subgraph can return the fields of one of the target's
resolvable keys; it goes ``via`` an intermediate subgraph when the source can only return a
key of the intermediate, which in turn resolves the fields of the target's key (a "key
mashup": ``id`` known here, ``upc`` needed there, a third subgraph knowing both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from router.composition.model import EntityKey, KeyField, TypeMetadata


@dataclass(frozen=True, slots=True)
class EntityRoute:
    """Fetch the field from ``target`` by ``key``; first fetch ``key``'s fields from ``via``."""

    target: str
    key: EntityKey
    via: str | None = None
    via_key: EntityKey | None = None
    # The interface ``target`` knows the entity as (an ``@interfaceObject`` there), if any:
    # its representations then carry that ``__typename``.
    entity_type: str | None = None


def can_provide(
    types: Mapping[str, TypeMetadata],
    type_name: str,
    field_set: tuple[KeyField, ...],
    subgraph: str,
) -> bool:
    """Whether ``subgraph`` resolves every field of ``field_set`` on ``type_name`` itself."""
    meta = types.get(type_name)
    if meta is None:
        return False
    for key_field in field_set:
        if key_field.name == "__typename":
            continue
        field_meta = meta.fields.get(key_field.name)
        if field_meta is None or subgraph not in field_meta.resolvable_in:
            return False
        if key_field.children and not can_provide(
            types, field_meta.output_type, key_field.children, subgraph
        ):
            return False
    return True


def entity_routes(
    types: Mapping[str, TypeMetadata], type_name: str, field_name: str, source: str
) -> list[EntityRoute]:
    """Every route from ``source`` to ``type_name.field_name``, direct routes first.

    Routes whose ``@requires`` cannot be met from ``source`` (directly or by one entity fetch
    of the required field) are left out.
    """
    meta = types[type_name]
    field_meta = meta.fields[field_name]
    direct: list[EntityRoute] = []
    indirect: list[EntityRoute] = []
    for target in sorted(field_meta.resolvable_in - {source}):
        if not _requires_reachable(types, type_name, field_meta.requires.get(target, ()), source):
            continue
        interface = field_meta.interface_objects.get(target)
        if interface is not None:
            direct.extend(
                EntityRoute(target, key, entity_type=interface)
                for key in types[interface].resolvable_keys(target)
                if can_provide(types, type_name, key.selection, source)
            )
            continue
        for key in meta.resolvable_keys(target):
            if can_provide(types, type_name, key.selection, source):
                direct.append(EntityRoute(target, key))
                continue
            for via in sorted(meta.defined_in - {source, target}):
                via_key = next(
                    (
                        candidate
                        for candidate in meta.resolvable_keys(via)
                        if can_provide(types, type_name, candidate.selection, source)
                    ),
                    None,
                )
                if via_key is not None and can_provide(types, type_name, key.selection, via):
                    indirect.append(EntityRoute(target, key, via, via_key))
    return direct + indirect


def direct_route(
    types: Mapping[str, TypeMetadata], type_name: str, field_name: str, source: str
) -> EntityRoute | None:
    """A route to a field needed by ``@requires``: direct only, without requirements itself."""
    meta = types[type_name]
    field_meta = meta.fields.get(field_name)
    if field_meta is None:
        return None
    for target in sorted(field_meta.resolvable_in - {source}):
        if field_meta.requires.get(target):
            continue
        for key in meta.resolvable_keys(target):
            if can_provide(types, type_name, key.selection, source):
                return EntityRoute(target, key)
    return None


def _requires_reachable(
    types: Mapping[str, TypeMetadata],
    type_name: str,
    required: tuple[KeyField, ...],
    source: str,
) -> bool:
    return all(
        can_provide(types, type_name, (key_field,), source)
        or direct_route(types, type_name, key_field.name, source) is not None
        for key_field in required
    )
