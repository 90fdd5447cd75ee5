"""Registering a client's manifest and checking every registered document, both against the
current composed schema (with this server's operation limits): a document that would not run
today is refused at registration, and `opsgraph persisted check` fails (exit 1) once a schema
change breaks one — before a partner notices."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.persisted import NewDocument, every_document, register_documents
from db.tables.persisted import CLIENT_ID_LENGTH
from db.tenants import find_tenant_id
from resolvers.manifests import (
    DocumentCheck,
    ManifestError,
    ManifestOperation,
    manifest_problems,
    parse_manifest,
)


class InvalidManifest(ValueError):
    """Operations that do not validate, by id, with their errors."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(describe(problems))
        self.problems = problems

    def __str__(self) -> str:
        return describe(self.problems)


def describe(problems: dict[str, list[str]]) -> str:
    return "\n".join(
        f"  {document_id}: {message}"
        for document_id, messages in problems.items()
        for message in messages
    )


def checked_manifest(raw: bytes | str, check: DocumentCheck) -> list[ManifestOperation]:
    """The manifest's operations; ManifestError or InvalidManifest when it cannot be used."""
    operations = parse_manifest(raw)
    problems = manifest_problems(operations, check)
    if problems:
        raise InvalidManifest(problems)
    return operations


async def register_manifest(
    session: AsyncSession,
    tenant: str,
    client_id: str,
    raw: bytes | str,
    check: DocumentCheck,
    *,
    safelist_only: bool | None = None,
) -> int:
    """Validate and store the manifest for ``client_id`` of tenant ``tenant`` (slug or id);
    returns how many documents were new. Raises ManifestError, InvalidManifest, or
    db.persisted.DocumentConflict, storing nothing."""
    if not 0 < len(client_id) <= CLIENT_ID_LENGTH:
        raise ManifestError(f"the client id must be 1-{CLIENT_ID_LENGTH} characters")
    tenant_id = await find_tenant_id(session, tenant)
    if tenant_id is None:
        raise ManifestError(f"unknown tenant {tenant!r}")
    operations = checked_manifest(raw, check)
    documents = [NewDocument(op.document_id, op.sha256, op.body) for op in operations]
    return await register_documents(
        session, tenant_id, client_id, documents, safelist_only=safelist_only
    )


async def registered_problems(
    session: AsyncSession, check: DocumentCheck
) -> tuple[int, dict[str, list[str]]]:
    """How many documents are registered (all tenants), and those that no longer validate,
    named ``tenant/client/id``."""
    documents = await every_document(session)
    problems: dict[str, list[str]] = {}
    for document in documents:
        errors = check(document.body)
        if errors:
            problems[f"{document.tenant_id}/{document.client_id}/{document.document_id}"] = errors
    return len(documents), problems
