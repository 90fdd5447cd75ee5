"""PostGraphile's answers in OpsGraph's shape, and where two answers differ.

The peer names and types things its own way: `allIncidents` and `incidentByRowId`, `rowId`
for the UUID (its `id` is a global node id), one-to-many relations as connections
(`comments { nodes }`), the number and priority as the stored integers, the history's changes
as the stored JSON, timestamps always with microseconds. Translated into OpsGraph's response
and compared (timestamps as instants), the two must agree on every id, order and value before
the bench measures either, or the comparison would mean nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from subgraphs.incidents import rules

# Opaque cursors: each server encodes its own (the rows they point at are compared).
OPAQUE = frozenset({"endCursor"})


def page_as_opsgraph(data: dict[str, Any]) -> dict[str, Any]:
    """The peer's page (`allIncidents`) as OpsGraph's `incidents` answer."""
    return {"incidents": _translate(data["allIncidents"])}


def detail_as_opsgraph(data: dict[str, Any]) -> dict[str, Any]:
    """The peer's detail (`incidentByRowId`) as OpsGraph's `incident` answer."""
    return {"incident": _translate(data["incidentByRowId"])}


def _translate(value: Any) -> Any:
    if isinstance(value, list):
        return [_translate(item) for item in value]
    if not isinstance(value, dict):
        return value
    translated: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict) and item.keys() == {"nodes"}:
            item = item["nodes"]  # a connection where OpsGraph has a list
        if key == "rowId":
            translated["id"] = item
        elif key == "number" and isinstance(item, int):
            translated[key] = rules.format_number(item)
        elif key == "priority" and isinstance(item, int):
            translated[key] = rules.PRIORITY_BY_RANK[item].value
        elif key == "changes" and isinstance(item, dict):
            translated[key] = [
                {"field": name, "oldValue": _text(old), "newValue": _text(new)}
                for name, (old, new) in item.items()
            ]
        else:
            translated[key] = _translate(item)
    return translated


def _text(value: Any) -> str | None:
    """A changed value as OpsGraph's `FieldChange` shows it."""
    return None if value is None else str(value)


def differences(expected: Any, actual: Any, path: str = "", limit: int = 10) -> list[str]:
    """Where `actual` differs from `expected` (at most `limit`, each with its path); fields
    named ...At are compared as instants, cursors not at all."""
    found: list[str] = []
    _compare(expected, actual, path or "data", found, limit)
    return found[:limit]


def _compare(expected: Any, actual: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if key in OPAQUE:
                continue
            if key not in actual or key not in expected:
                found.append(f"{path}.{key}: only in {'expected' if key in expected else 'actual'}")
            elif key.endswith("At") and _instant(expected[key]) == _instant(actual[key]):
                continue
            else:
                _compare(expected[key], actual[key], f"{path}.{key}", found, limit)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            found.append(f"{path}: {len(expected)} items expected, {len(actual)} found")
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            _compare(left, right, f"{path}[{index}]", found, limit)
    elif expected != actual or type(expected) is not type(actual):
        found.append(f"{path}: expected {expected!r}, found {actual!r}")


def _instant(value: Any) -> Any:
    """A timestamp string as the instant it names (offsets and precision aside)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
