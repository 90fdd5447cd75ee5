"""API clients and their persisted operations: the rules behind the admin mutations.

A client record names an application by its tokens' client id (`azp`/`client_id`) and says
whether it is safelist-only. Registering a manifest adds the operations the client has not
registered yet; every operation must validate against the composed API schema first (the
router process hands the schema down, `Context.api_schema`), and an id, once registered,
always names the same text. Anything refused changes nothing. No Strawberry here."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.persisted import DocumentConflict, NewDocument, add_documents, find_client
from db.tables import persisted as tables
from resolvers.errors import BadUserInput, Conflict, NotFound, OpsGraphError
from resolvers.manifests import (
    ApiSchema,
    ManifestError,
    document_problems,
    manifest_problems,
    parse_manifest,
)
from subgraphs.identity.service import Changes, insert_unique


class RegistrationUnavailable(OpsGraphError):
    """No composed schema to validate against: a subgraph served alone."""

    code = "SERVICE_UNAVAILABLE"


def clean_client_id(value: str) -> str:
    """Kept exactly as tokens carry it: 1-200 characters, no surrounding whitespace."""
    if not value or value != value.strip() or len(value) > tables.CLIENT_ID_LENGTH:
        raise BadUserInput(
            f"clientId must be 1-{tables.CLIENT_ID_LENGTH} characters without surrounding "
            "whitespace, as the tokens' azp/client_id claim carries it",
            field="clientId",
        )
    return value


async def create_client(
    session: AsyncSession, tenant_id: uuid.UUID, client_id: str, safelist_only: bool
) -> Any:
    row = tables.ApiClient(
        tenant_id=tenant_id, client_id=clean_client_id(client_id), safelist_only=safelist_only
    )
    return await insert_unique(
        session, row, f"An API client {client_id!r} already exists", "clientId"
    )


async def existing_client(session: AsyncSession, tenant_id: uuid.UUID, client_id: str) -> Any:
    """The client's record, locked for the rest of the unit of work; NOT_FOUND without one."""
    row = await find_client(session, tenant_id, client_id, lock=True)
    if row is None:
        raise NotFound(f"No API client {client_id[:200]!r}", field="clientId")
    return row


async def update_client(
    session: AsyncSession, tenant_id: uuid.UUID, client_id: str, *, safelist_only: bool | None
) -> tuple[Any, Changes]:
    row = await existing_client(session, tenant_id, client_id)
    changes: Changes = {}
    if safelist_only is not None and safelist_only != row.safelist_only:
        changes["safelistOnly"] = [row.safelist_only, safelist_only]
        row.safelist_only = safelist_only
        await session.flush()
        await session.refresh(row)
    return row, changes


def checked_documents(manifest: str, api_schema: ApiSchema | None) -> list[NewDocument]:
    """The manifest's operations, each valid against the composed schema; BAD_USER_INPUT
    naming every invalid operation with its errors otherwise."""
    if api_schema is None:
        raise RegistrationUnavailable(
            "Persisted operations are validated against the composed API schema: register "
            "them through the router (opsgraph serve) or with `opsgraph persisted register`"
        )
    try:
        operations = parse_manifest(manifest)
    except ManifestError as error:
        raise BadUserInput(f"The manifest is not usable: {error}", field="manifest") from None
    problems = manifest_problems(operations, functools.partial(document_problems, api_schema))
    if problems:
        raise BadUserInput(
            f"{len(problems)} operation(s) do not validate against the current schema: "
            + ", ".join(problems),
            field="manifest",
            problems=[{"id": id, "errors": errors} for id, errors in problems.items()],
        )
    return [NewDocument(op.document_id, op.sha256, op.body) for op in operations]


async def register_operations(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    client_id: str,
    manifest: str,
    api_schema: ApiSchema | None,
) -> tuple[Any, list[str], int]:
    """Validate and add a manifest's operations for an existing client: its record, the ids
    added and how many operations the manifest holds. CONFLICT when an id is registered
    with another text."""
    documents = checked_documents(manifest, api_schema)
    row = await existing_client(session, tenant_id, client_id)
    try:
        added = await add_documents(session, tenant_id, row.client_id, documents)
    except DocumentConflict as conflict:
        raise Conflict(
            f"Operation id(s) already registered with a different text: {', '.join(conflict.ids)}"
            "; an id always names the same document, register the new text under a new id",
            field="manifest",
            ids=conflict.ids,
        ) from None
    return row, added, len(documents)
