"""API clients and their persisted operations: the rules behind the admin mutations, and
reading the records with their operation counts.

A client record names an application by its tokens' client id (`azp`/`client_id`) and says
whether it is safelist-only. Registering a manifest adds the operations the client has not
registered yet; every operation must validate against the composed API schema first (the
router process hands the schema down, `Context.api_schema`), and an id, once registered,
always names the same text. Anything refused changes nothing."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.persisted import (
    DocumentConflict,
    NewDocument,
    add_documents,
    clients_with_counts,
    find_client,
)
from db.scope import RequestDatabase
from db.tables import persisted as tables
from resolvers.errors import BadUserInput, Conflict, NotFound, OpsGraphError
from resolvers.manifests import (
    ApiSchema,
    ManifestError,
    document_problems,
    manifest_problems,
    parse_manifest,
)
from subgraphs.identity import events
from subgraphs.identity.rules import clean_client_id
from subgraphs.identity.service.common import Changes, created, insert_unique


class RegistrationUnavailable(OpsGraphError):
    """No composed schema to validate against: a subgraph served alone."""

    code = "SERVICE_UNAVAILABLE"


async def create_client(
    session: AsyncSession, tenant_id: uuid.UUID, client_id: str, safelist_only: bool
) -> tuple[Any, Changes]:
    row = tables.ApiClient(
        tenant_id=tenant_id, client_id=clean_client_id(client_id), safelist_only=safelist_only
    )
    await insert_unique(session, row, f"An API client {client_id!r} already exists", "clientId")
    changes = created({"clientId": row.client_id, "safelistOnly": row.safelist_only})
    events.record_change(session, events.API_CLIENT, row, events.API_CLIENT_CREATED, changes)
    return row, changes


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
        events.record_change(session, events.API_CLIENT, row, events.API_CLIENT_UPDATED, changes)
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
    if added:
        events.record_change(
            session,
            events.API_CLIENT,
            row,
            events.API_CLIENT_OPERATIONS_REGISTERED,
            {"persistedOperations": [None, added]},
        )
    return row, added, len(documents)


async def tenant_clients(db: RequestDatabase) -> Sequence[Any]:
    """The scope's tenant's client records with their operation counts, by client id."""
    return await db.rows(
        clients_with_counts()
        .where(tables.ApiClient.tenant_id == db.tenant_id)
        .order_by(tables.ApiClient.client_id)
    )


async def client_with_count(session: AsyncSession, row: tables.ApiClient) -> Any:
    """A client changed in this unit of work, with its operation count as it stands."""
    statement = clients_with_counts().where(tables.ApiClient.id == row.id)
    return (await session.execute(statement)).one()
