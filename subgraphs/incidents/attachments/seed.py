"""Attachments in the demo: a traceroute log, a screenshot and a CSV export on the three
newest open incidents, stored as the PostgreSQL store stores uploads (one chunk each), each
with its ATTACHMENT_ADDED history entry. Pure and deterministic: nothing random is drawn."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from struct import pack
from typing import Any

from resolvers.attachments.storing import sniffed_type

OPEN = ("OPEN", "IN_PROGRESS", "ON_HOLD")


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small one-colour PNG (a stand-in screenshot)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


FILES: tuple[tuple[str, bytes], ...] = (
    (
        "traceroute.txt",
        b"traceroute to db-01.internal (10.0.4.21), 30 hops max\n"
        b" 1  gw-core-01 (10.0.0.1)  0.412 ms\n"
        b" 2  fw-edge-02 (10.0.1.2)  1.902 ms\n"
        b" 3  * * *\n",
    ),
    ("screenshot.png", _png(64, 32, (200, 40, 40))),
    (
        "affected-users.csv",
        b"user,site,since\nada@example.com,Lyon,08:12\ngrace@example.com,Lyon,08:15\n",
    ),
)


def attachments(
    tenant_id: uuid.UUID, rows: list[dict[str, Any]], changes: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(file rows, chunk rows) of the demo's attachments; their history entries are appended
    to `changes`."""
    newest = sorted((r for r in rows if r["status"] in OPEN), key=lambda r: -r["number"])[:3]
    files: list[dict[str, Any]] = []
    chunks: list[dict[str, Any]] = []
    for row, (name, content) in zip(newest, FILES, strict=False):
        attachment_id = uuid.uuid5(row["id"], name)
        at = row["updated_at"]
        file = {
            "id": attachment_id,
            "tenant_id": tenant_id,
            "owner_type": "Incident",
            "owner_id": row["id"],
            "filename": name,
            "content_type": sniffed_type(content),
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "uploaded_by": row["reporter_id"],
            "store": "postgres",
            "key": str(attachment_id),
            "created_at": at,
            "updated_at": at,
        }
        files.append(file)
        chunks.append(
            {"attachment_id": attachment_id, "seq": 0, "tenant_id": tenant_id, "data": content}
        )
        summary = {
            "id": str(attachment_id),
            "filename": name,
            "contentType": file["content_type"],
            "size": len(content),
            "sha256": file["sha256"],
        }
        changes.append(
            {
                "tenant_id": tenant_id,
                "incident_id": row["id"],
                "actor_id": row["reporter_id"],
                "kind": "ATTACHMENT_ADDED",
                "changes": {"attachment": [None, summary]},
                "created_at": at,
                "updated_at": at,
            }
        )
    return files, chunks
