"""Operations on the raw response tree the fetches are merged into."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from router.composition import KeyField

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


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, (current, value) in enumerate(zip(target, source, strict=True)):
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[index] = value


def objects_at(
    value: Any, path: tuple[str, ...], position: int = 0, at: Path = ()
) -> Iterator[tuple[dict[str, Any], Path]]:
    """Every object at ``path`` (``@`` = each list element) with its concrete response path."""
    if position == len(path):
        if isinstance(value, dict):
            yield value, at
        return
    step = path[position]
    if step == "@":
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from objects_at(item, path, position + 1, (*at, index))
    elif isinstance(value, dict) and step in value:
        yield from objects_at(value[step], path, position + 1, (*at, step))


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


def required_values(obj: dict[str, Any], fields: tuple[KeyField, ...]) -> dict[str, Any]:
    """The ``@requires`` fields of ``obj`` for a representation: nulls and lists kept as is."""
    return {
        key_field.name: _selected(obj.get(key_field.name), key_field.children)
        for key_field in fields
    }


def _selected(value: Any, children: tuple[KeyField, ...]) -> Any:
    if not children or value is None:
        return value
    if isinstance(value, list):
        return [_selected(item, children) for item in value]
    if isinstance(value, dict):
        return required_values(value, children)
    return value
