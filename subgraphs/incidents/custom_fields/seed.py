"""Demo data of issue 19's fields: two custom fields (a region to pick from, how many users
are affected), values and tags on every demo incident, and a mention in some threads. Drawn
by generators seeded with each incident's id, so `demo.random`'s shared sequence (and every
later domain's data) is as before."""

from __future__ import annotations

import random
import uuid
from typing import Any

from subgraphs.incidents.custom_fields.definitions import IncidentFieldType

REGIONS = ["emea", "amer", "apac"]
FIELDS = [
    {"name": "region", "type": IncidentFieldType.ENUM.value, "enum_values": REGIONS},
    {"name": "affectedUsers", "type": IncidentFieldType.NUMBER.value, "enum_values": None},
]
TAGS = {
    "network": ["vpn", "wifi", "office"],
    "access": ["sso", "hr portal"],
    "hardware": ["laptop", "printer", "office"],
    "email": ["mail", "exchange"],
    "database": ["payroll", "replica"],
    "platform": ["kubernetes", "website"],
    "storage": ["file server", "capacity"],
}
LOOP_IN = "Looping in @[{name}]({id}) who knows this system."


def field_rows(tenant: uuid.UUID) -> list[dict[str, Any]]:
    return [{"tenant_id": tenant, "required": False, **field} for field in FIELDS]


def label(
    rows: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    comments: list[dict[str, Any]],
    users: list[dict[str, Any]],
) -> None:
    """Tags and values on each incident (and in its CREATED history entry); a mention in the
    first comment of one thread in four."""
    first_comment: dict[uuid.UUID, dict[str, Any]] = {}
    for comment in comments:
        comment["mention_ids"] = []  # one key set for every row of the insert
        first_comment.setdefault(comment["incident_id"], comment)
    for row, change in zip(rows, changes, strict=True):
        rnd = random.Random(row["id"].int + 23)
        tags = sorted(set(rnd.sample(TAGS[row["category"]], k=rnd.randint(1, 2))))
        values: dict[str, Any] = {"region": rnd.choice(REGIONS)}
        if rnd.random() < 0.6:
            values["affectedUsers"] = rnd.choice([1, 5, 20, 150, 1200])
        row["tags"], row["custom_fields"] = tags, values
        change["changes"]["tags"] = [None, tags]
        for name, value in sorted(values.items()):
            change["changes"][f"customFields.{name}"] = [None, value]
        first = first_comment.get(row["id"])
        if first is not None and users and rnd.random() < 1 / 4:
            user = rnd.choice(users)
            first["body"] += " " + LOOP_IN.format(name=user["name"], id=user["id"])
            first["mention_ids"] = [user["id"]]
