"""Alertmanager's webhook payload (version 4), checked against a JSON Schema
(`jsonschema_rs`) before anything else reads it, and read into plain values.

The schema follows Alertmanager's `notify/webhook` message: `version` "4", `status`,
`receiver`, `groupKey`, `groupLabels`, `commonLabels`, `commonAnnotations`, `externalURL`,
`truncatedAlerts` and the alerts, each with `status`, `labels`, `annotations`, `startsAt`,
`endsAt`, `generatorURL` and `fingerprint`. Fields Alertmanager may add later are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsonschema_rs

ALERTS_MAX = 1_000
"""More alerts than one notification of Alertmanager carries (`max_alerts` truncates)."""

_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_TIME = {"type": "string", "format": "date-time"}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "status", "groupKey", "alerts"],
    "properties": {
        "version": {"const": "4"},
        "status": {"enum": ["firing", "resolved"]},
        "receiver": {"type": "string"},
        "groupKey": {"type": "string", "minLength": 1, "maxLength": 10_000},
        "groupLabels": _STRINGS,
        "commonLabels": _STRINGS,
        "commonAnnotations": _STRINGS,
        "externalURL": {"type": "string"},
        "truncatedAlerts": {"type": "integer", "minimum": 0},
        "alerts": {
            "type": "array",
            "maxItems": ALERTS_MAX,
            "items": {
                "type": "object",
                "required": ["status", "labels", "startsAt", "fingerprint"],
                "properties": {
                    "status": {"enum": ["firing", "resolved"]},
                    "labels": _STRINGS,
                    "annotations": _STRINGS,
                    "startsAt": _TIME,
                    "endsAt": _TIME,
                    "generatorURL": {"type": "string"},
                    "fingerprint": {"type": "string", "minLength": 1, "maxLength": 100},
                },
            },
        },
    },
}

VALIDATOR = jsonschema_rs.validator_for(SCHEMA, validate_formats=True)
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing


class MalformedPayload(ValueError):
    """What is wrong with a payload, for the 400 answer."""


@dataclass(frozen=True)
class Alert:
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    starts_at_text: str  # as sent: part of the notification's key
    generator_url: str | None
    fingerprint: str

    @property
    def firing(self) -> bool:
        return self.status == "firing"


@dataclass(frozen=True)
class Notification:
    status: str
    group_key: str
    group_labels: dict[str, str]
    alerts: list[Alert]
    truncated_alerts: int


def read(document: Any) -> Notification:
    """The notification in a parsed JSON document; MalformedPayload naming the first
    problem (where, and what) when it is not a version 4 webhook payload."""
    errors = list(VALIDATOR.iter_errors(document))
    if errors:
        error = errors[0]
        where = "/".join(str(part) for part in error.instance_path) or "(the payload)"
        raise MalformedPayload(f"{where}: {error.message}")
    return Notification(
        status=document["status"],
        group_key=document["groupKey"],
        group_labels=document.get("groupLabels") or {},
        alerts=[_alert(item) for item in document["alerts"]],
        truncated_alerts=document.get("truncatedAlerts") or 0,
    )


def _alert(item: dict[str, Any]) -> Alert:
    ends = item.get("endsAt")
    return Alert(
        status=item["status"],
        labels=item["labels"],
        annotations=item.get("annotations") or {},
        starts_at=_time(item["startsAt"]),
        ends_at=None if not ends or ends.startswith("0001-") else _time(ends),
        starts_at_text=item["startsAt"],
        generator_url=item.get("generatorURL") or None,
        fingerprint=item["fingerprint"],
    )


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise MalformedPayload(f"not a time: {text!r}") from None
