"""The family in the demo: a major incident (accepted) with two child incidents. The major is
the newest IN_PROGRESS incident (what a reader finds first); its children are the two oldest
other open ones. Pure: it edits the rows the incidents seed inserts, drawing nothing random
(the demo's random sequence stays as it was)."""

from __future__ import annotations

from typing import Any

MAJOR_REASON = "Several sites report it at once: the service desk runs it as a major incident."
OPEN = ("OPEN", "IN_PROGRESS", "ON_HOLD")
COLUMNS = ("parent_id", "major_state", "major_reason", "duplicate_of_id")


def arrange(rows: list[dict[str, Any]], changes: list[dict[str, Any]]) -> None:
    """Give every row the family's columns; make one major incident with two children, each
    with its history entry."""
    for row in rows:
        for column in COLUMNS:
            row.setdefault(column, None)
    working = [row for row in rows if row["status"] == "IN_PROGRESS"]
    if not working:
        return
    major = max(working, key=lambda row: row["number"])
    others = sorted(
        (row for row in rows if row["status"] in OPEN and row is not major),
        key=lambda row: row["number"],
    )[:2]
    major.update(major_state="ACCEPTED", major_reason=MAJOR_REASON)
    at = major["updated_at"]
    changes.append(_change(major, "MAJOR_CHANGED", {"majorState": [None, "ACCEPTED"]}, at))
    for child in others:
        child["parent_id"] = major["id"]
        change = {"parentId": [None, str(major["id"])]}
        changes.append(_change(child, "PARENT_CHANGED", change, child["updated_at"]))


def _change(row: dict[str, Any], kind: str, changes: dict[str, Any], at: Any) -> dict[str, Any]:
    return {
        "tenant_id": row["tenant_id"],
        "incident_id": row["id"],
        "actor_id": row["assignee_id"],
        "kind": kind,
        "changes": changes,
        "created_at": at,
        "updated_at": at,
    }
