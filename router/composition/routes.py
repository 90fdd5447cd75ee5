"""How a fetch in one subgraph reaches an entity field another subgraph resolves.

Shared by the satisfiability check (composition refuses what cannot be planned) and by the
planner (which picks one of the routes), so the two can never disagree.

A route is direct when the source subgraph can return the fields of one of the target's
resolvable keys; it goes ``via`` an intermediate subgraph when the source can only return a
key of the intermediate, which in turn resolves the fields of the target's key (a "key
mashup": ``id`` known here, ``upc`` needed there, a third subgraph knowing both).

A route's ``@requires`` fields must be reachable from the source too: resolved there, or
fetched by an entity call from a subgraph that resolves them, after that subgraph's own
``@requires`` (chains; see :func:`requires_reachable`).
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
    for key_field in field_set:
        if key_field.name == "__typename":
            continue
        meta = types.get(key_field.on or type_name)
        field_meta = None if meta is None else meta.fields.get(key_field.name)
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

    Routes whose ``@requires`` cannot be met from ``source`` (directly or by entity fetches
    of the required fields, see :func:`requires_reachable`) are left out.
    """
    meta = types[type_name]
    field_meta = meta.fields[field_name]
    direct: list[EntityRoute] = []
    indirect: list[EntityRoute] = []
    for target in sorted(field_meta.resolvable_in - {source}):
        if not requires_reachable(types, type_name, field_meta.requires.get(target, ()), source):
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


def required_route(
    types: Mapping[str, TypeMetadata],
    type_name: str,
    required: KeyField,
    source: str,
    seen: frozenset[str] = frozenset(),
) -> EntityRoute | None:
    """A route to a field that a ``@requires`` needs, by a key ``source`` can provide.

    The field may itself carry a ``@requires`` (a chain): that one must be reachable from
    ``source`` the same way, without going round in a circle (``seen``).
    """
    meta = types[type_name]
    field_meta = meta.fields.get(required.name)
    if field_meta is None or required.name in seen:
        return None
    targets = field_meta.resolvable_in - {source}
    if field_meta.requires.get(source):
        # ``source`` resolves it too, from a representation with its own @requires fields.
        targets |= {source}
    for target in sorted(targets):
        if required.children and not can_provide(types, type_name, (required,), target):
            continue
        needed = field_meta.requires.get(target, ())
        if not requires_reachable(types, type_name, needed, source, seen | {required.name}):
            continue
        for key in meta.resolvable_keys(target):
            if can_provide(types, type_name, key.selection, source):
                return EntityRoute(target, key)
    return None


def requires_reachable(
    types: Mapping[str, TypeMetadata],
    type_name: str,
    required: tuple[KeyField, ...],
    source: str,
    seen: frozenset[str] = frozenset(),
) -> bool:
    """Whether every field of a ``@requires`` can be had in a fetch from ``source``: resolved
    there, or fetched by one entity call (after its own requirements) from another subgraph."""
    return all(
        resolves_plainly(types, type_name, key_field, source)
        or required_route(types, type_name, key_field, source, seen) is not None
        for key_field in required
    )


def resolves_plainly(
    types: Mapping[str, TypeMetadata], type_name: str, required: KeyField, subgraph: str
) -> bool:
    """Whether a fetch in ``subgraph`` can select ``required`` as it is: the subgraph
    resolves it (and what it selects below) without a ``@requires`` of its own there."""
    if not can_provide(types, type_name, (required,), subgraph):
        return False
    field_meta = types[required.on or type_name].fields[required.name]
    return not field_meta.requires.get(subgraph)
