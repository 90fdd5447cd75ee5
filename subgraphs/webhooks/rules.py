"""Event rules (NetBox's style) and what a delivery may carry. No Strawberry, no database.

A webhook names event types and, optionally, conditions on the event's data: each condition
is a field and the values it may have (`{field: "priority", in: ["CRITICAL", "HIGH"]}`), all
conditions must hold, as the list filters of the queries work (`IncidentFilter.priority` is
"any of these", several filter fields all apply). The event's data is its payload with each
change at its new value (`changes.status: [old, new]` reads as `status: new`); a field the
event does not carry fails its condition. Values compare as text (`true`, `42`, enum names)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resolvers.privacy import PII_PERMISSION, mask_email, mask_phone

FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_CONDITIONS = 20
MAX_VALUES = 50
VALUE_MAX = 200
MAX_EVENTS = 100


class RuleError(ValueError):
    """A malformed rule; `argument` names the input field."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(message)
        self.argument = argument


@dataclass(frozen=True)
class Condition:
    field: str
    values: frozenset[str]

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "in": sorted(self.values)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        return cls(data["field"], frozenset(data["in"]))


def conditions(given: Sequence[tuple[str, Sequence[str]]]) -> tuple[Condition, ...]:
    """Client-given (field, values) pairs, checked."""
    if len(given) > MAX_CONDITIONS:
        raise RuleError(f"filter has at most {MAX_CONDITIONS} conditions", "filter")
    checked = []
    for index, (field, values) in enumerate(given):
        where = f"filter[{index}]"
        if not FIELD.match(field):
            raise RuleError(
                f"{where}.field must be a field name (letters, digits, _), got {field!r}", where
            )
        if not values or len(values) > MAX_VALUES:
            raise RuleError(f"{where}.in must list 1 to {MAX_VALUES} values", where)
        if any(len(value) > VALUE_MAX for value in values):
            raise RuleError(f"{where}.in values have at most {VALUE_MAX} characters", where)
        checked.append(Condition(field, frozenset(values)))
    return tuple(checked)


def event_types(given: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    """Client-given event types, each one a registered kind."""
    catalogue = set(known)
    if not given:
        raise RuleError("events must name at least one event type", "events")
    if len(given) > MAX_EVENTS:
        raise RuleError(f"events names at most {MAX_EVENTS} event types", "events")
    for kind in given:
        if kind not in catalogue:
            raise RuleError(
                f"events: unknown event type {kind!r} (see the README's list of event types)",
                "events",
            )
    return tuple(dict.fromkeys(given))


def event_data(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a condition reads: the payload's own, and each change at its new value."""
    data = {key: value for key, value in payload.items() if key != "changes"}
    changes = payload.get("changes")
    if isinstance(changes, Mapping):
        for key, change in changes.items():
            is_pair = isinstance(change, list) and len(change) == 2
            data[key] = change[1] if is_pair else change
    return data


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(rules: Sequence[Condition], payload: Mapping[str, Any]) -> bool:
    return data_matches(rules, event_data(payload))


def data_matches(rules: Sequence[Condition], data: Mapping[str, Any]) -> bool:
    """`matches` on an event's `event_data`, for an event read against many webhooks."""
    for rule in rules:
        if rule.field not in data or data[rule.field] is None:
            return False
        value = data[rule.field]
        values = value if isinstance(value, list) else [value]
        if not any(_text(item) in rule.values for item in values):
            return False
    return True


EMAIL = re.compile(r"email", re.IGNORECASE)
PHONE = re.compile(r"phone", re.IGNORECASE)


def masked(value: Any, may_see_pii: bool, key: str = "") -> Any:
    """`value` with e-mail addresses and phone numbers masked (by the field that holds them)
    unless the webhook's owner holds `pii:view`."""
    if may_see_pii:
        return value
    if isinstance(value, Mapping):
        return {k: masked(v, False, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item, False, key) for item in value]
    if isinstance(value, str):
        if EMAIL.search(key) and "@" in value:
            return mask_email(value)
        if PHONE.search(key):
            return mask_phone(value)
    return value


def may_see_pii(permissions: Iterable[str]) -> bool:
    return PII_PERMISSION in set(permissions)
