"""Operations on the raw response tree the fetches are merged into."""

from __future__ import annotations

from typing import Any

from router.composition import KeyField
from router.composition.field_set import response_key

Path = tuple[str | int, ...]


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merge ``source`` into ``target``; objects merge field by field, lists element-wise."""
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[key] = value


def merge_in_order(target: dict[str, Any], source: dict[str, Any], keys: tuple[str, ...]) -> bool:
    """Merge ``source`` into ``target`` as :func:`deep_merge` does and leave ``target`` with
    exactly ``keys``, in that order (one rewrite where merging, then tidying, took two
    passes). False when one of ``keys`` is in neither: ``target`` is then merged only, as
    :func:`deep_merge` leaves it (merging twice what was merged already changes nothing)."""
    values = []
    for key in keys:
        if key in source:
            value = source[key]
            if key in target:
                value = _merged(target[key], value)
        elif key in target:
            value = target[key]
        else:
            deep_merge(target, source)
            return False
        values.append(value)
    target.clear()
    target.update(zip(keys, values, strict=True))
    return True


def _merged(current: Any, value: Any) -> Any:
    """What :func:`deep_merge` leaves at a key ``current`` and ``value`` both have."""
    if isinstance(current, dict) and isinstance(value, dict):
        deep_merge(current, value)
        return current
    if isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
        _merge_lists(current, value)
        return current
    return value


def coalesce(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merge ``source`` into ``target`` where ``target`` is still null (or missing): one of
    several answers to the same root fields, each knowing some of the positions (Relay's
    ``node``/``nodes``); lists of the same length element by element, the first non-null
    answer of a position kept."""
    for key, value in source.items():
        current = target.get(key)
        if current is None:
            target[key] = value
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            for index, item in enumerate(value):
                if current[index] is None:
                    current[index] = item


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, (current, value) in enumerate(zip(target, source, strict=True)):
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[index] = value


def objects_at(value: Any, path: tuple[str, ...]) -> list[tuple[dict[str, Any], Path]]:
    """Every object at ``path`` (``@`` = each list element) with its concrete response path,
    in response order; walked level by level (a page's worth of objects per step)."""
    level: list[tuple[Any, Path]] = [(value, ())]
    for step in path:
        below: list[tuple[Any, Path]] = []
        if step == "@":
            for found, at in level:
                if isinstance(found, list):
                    below.extend((item, (*at, index)) for index, item in enumerate(found))
        else:
            for found, at in level:
                if isinstance(found, dict) and step in found:
                    below.append((found[step], (*at, step)))
        level = below
    return [(found, at) for found, at in level if isinstance(found, dict)]


def objects_in(
    value: Any, path: tuple[str, ...], levels: dict[tuple[str, ...], list[Any]] | None = None
) -> list[tuple[dict[str, Any], Any, Any]]:
    """Every object at ``path``, as :func:`objects_at` finds them, without their paths:
    each with where it stands, the object or list holding it and its key or index there
    (None and None for the root). ``levels``: what was found at each prefix of the paths
    walked before in ``value`` (several paths of one Flatten share most of theirs)."""
    if not path:
        return [(value, None, None)] if isinstance(value, dict) else []
    depth = len(path) - 1
    # The longest prefix walked before, if any.
    start = next((n for n in range(depth, 0, -1) if path[:n] in levels), 0) if levels else 0
    level: list[Any] = levels[path[:start]] if levels and start else [value]
    for at in range(start, depth):
        step = path[at]
        below: list[Any] = []
        if step == "@":
            for found in level:
                if isinstance(found, list):
                    below.extend(found)
        else:
            for found in level:
                if isinstance(found, dict) and step in found:
                    below.append(found[step])
        level = below
        if levels is not None:
            levels[path[: at + 1]] = level
    last = path[-1]
    if last == "@":
        return [
            (item, found, index)
            for found in level
            if isinstance(found, list)
            for index, item in enumerate(found)
            if isinstance(item, dict)
        ]
    return [
        (item, found, last)
        for found in level
        if isinstance(found, dict) and isinstance(item := found.get(last), dict)
    ]


def key_values(obj: dict[str, Any], key: tuple[KeyField, ...]) -> dict[str, Any] | None:
    """The key fields of ``obj`` as a representation body, or ``None`` if any is missing."""
    values: dict[str, Any] = {}
    for key_field in key:
        value = obj.get(key_field.name)
        if value is None:
            return None
        if key_field.children:
            if not isinstance(value, dict):
                return None
            value = key_values(value, key_field.children)
            if value is None:
                return None
        values[key_field.name] = value
    return values


class _Missing(Exception):
    """A required field never arrived (its fetch failed): there is no representation."""


def required_values(obj: dict[str, Any], fields: tuple[KeyField, ...]) -> dict[str, Any] | None:
    """The ``@requires`` fields of ``obj`` for a representation: nulls and lists kept as is;
    ``None`` when one is missing at any depth (the fetch that should have brought it failed),
    so the entity is not asked for, as Apollo's gateway does.

    A field under a type condition is sent only for objects of that type (the fetch selected
    it in ``... on T``, so it is absent from the others), as Apollo's gateway sends it:
    without the object's ``__typename``.
    """
    try:
        return _required(obj, fields)
    except _Missing:
        return None


def _required(obj: dict[str, Any], fields: tuple[KeyField, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key_field in fields:
        key = response_key(key_field)
        if key not in obj:
            if key_field.on is not None:
                continue
            raise _Missing
        values[key_field.name] = _selected(obj[key], key_field.children)
    return values


def _selected(value: Any, children: tuple[KeyField, ...]) -> Any:
    if not children or value is None:
        return value
    if isinstance(value, list):
        return [_selected(item, children) for item in value]
    if isinstance(value, dict):
        return _required(value, children)
    return value
