"""A backup's manifest: when it was taken, of what, and what the database held then (the
integrity snapshot), with the size and SHA-256 of every other member of the archive."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from opsgraph.integrity.snapshot import Snapshot

NAME = "manifest.json"
DUMP = "opsgraph.dump"
BASE = "base.tar.gz"


@dataclass(frozen=True)
class Member:
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    """When the dump's snapshot was taken (UTC, ISO 8601)."""
    server_major: int
    dump_tool_major: int
    """pg_dump's major version: restoring needs a pg_restore at least as new."""
    schemas: list[str]
    snapshot: Snapshot
    members: dict[str, Member]
    base_backup_started_at: str | None = None
    """When the base backup (for point-in-time recovery) began, if the archive holds one:
    the earliest instant it can be recovered to is just after it ended."""

    def to_bytes(self) -> bytes:
        data = asdict(self)
        data["snapshot"] = self.snapshot.to_json()
        return json.dumps(data, indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            created_at=data["created_at"],
            server_major=int(data["server_major"]),
            dump_tool_major=int(data["dump_tool_major"]),
            schemas=list(data["schemas"]),
            snapshot=Snapshot.from_json(data["snapshot"]),
            members={name: Member(**member) for name, member in data["members"].items()},
            base_backup_started_at=data.get("base_backup_started_at"),
        )
