"""Manifests: both formats parse, the demo clients' manifests in schema/persisted/ validate
against the current schema, and `persisted check` reports registered documents that broke."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import persisted as tables
from opsgraph.cli import main
from opsgraph.persisted.registration import checked_manifest, registered_problems
from opsgraph.server import build_gateway
from resolvers.manifests import ManifestError, parse_manifest

MANIFESTS = sorted((Path(__file__).parents[2] / "schema" / "persisted").glob("*.json"))


def test_there_are_demo_manifests_in_both_formats() -> None:
    formats = {"format" in orjson.loads(path.read_bytes()) for path in MANIFESTS}
    assert formats == {True, False}  # Apollo and Relay


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_the_demo_manifests_validate_against_the_current_schema(path: Path) -> None:
    assert checked_manifest(path.read_bytes(), build_gateway().check_document)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1]", "a manifest is a JSON object"),
        (b'{"format": "apollo-persisted-query-manifest", "version": 2}', "version"),
        (b'{"q": ""}', "has no document text"),
        (b"{}", "lists no operations"),
        (b"{", "not valid JSON"),
    ],
)
def test_malformed_manifests_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(raw)


def test_persisted_check_fails_on_a_broken_manifest_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(orjson.dumps({"q1": "{ incidents { removedField } }"}))
    assert main(["persisted", "check", str(broken)]) == 1
    assert main(["persisted", "check", *map(str, MANIFESTS)]) == 0


async def test_registered_documents_that_no_longer_validate_are_reported(
    owner_sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> None:
    async with owner_sessions() as session, session.begin():
        await session.execute(
            insert(tables.PersistedDocument).values(
                tenant_id=tenant_id,
                client_id="old-app",
                document_id="gone",
                sha256="0" * 64,
                body="{ incidents { removedField } }",
            )
        )
        count, problems = await registered_problems(session, build_gateway().check_document)
        await session.rollback()
    assert count >= 1
    assert problems[f"{tenant_id}/old-app/gone"] == [
        "Cannot query field 'removedField' on type 'IncidentConnection'."
    ]
