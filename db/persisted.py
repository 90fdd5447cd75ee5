"""Reading and registering persisted documents (tables in db/tables/persisted.py).

Look-ups run per request behind the tenant wall (`RequestDatabase`); registration and the
all-tenants check run as the owner, inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.scope import RequestDatabase
from db.tables import persisted as tables


class DocumentConflict(ValueError):
    """Ids already registered for the client with another text (an id never changes)."""

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"already registered with different text: {', '.join(ids)}")
        self.ids = list(ids)


@dataclass(frozen=True, slots=True)
class NewDocument:
    document_id: str
    sha256: str
    body: str


async def find_document(
    db: RequestDatabase, client_id: str, *, document_id: str | None, sha256: str | None
) -> tables.PersistedDocument | None:
    """The request tenant's document of ``client_id``, by id or else by text hash."""
    statement = select(tables.PersistedDocument).where(
        tables.PersistedDocument.tenant_id == db.tenant_id,
        tables.PersistedDocument.client_id == client_id,
    )
    if document_id is not None:
        statement = statement.where(tables.PersistedDocument.document_id == document_id)
    elif sha256 is not None:
        statement = statement.where(tables.PersistedDocument.sha256 == sha256)
    else:
        return None
    found = await db.scalars(statement.limit(1))
    return found[0] if found else None


async def is_safelist_only(db: RequestDatabase, client_id: str) -> bool:
    rows = await db.scalars(
        select(tables.ApiClient.safelist_only).where(
            tables.ApiClient.tenant_id == db.tenant_id, tables.ApiClient.client_id == client_id
        )
    )
    return bool(rows and rows[0])


async def register_documents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    client_id: str,
    documents: Sequence[NewDocument],
    *,
    safelist_only: bool | None = None,
) -> int:
    """Add the documents a client has not registered yet (those it has are left as they are);
    create the client record, and set its safelist flag when given. Returns how many were
    added. Raises DocumentConflict, changing nothing, if an id names another text."""
    existing = {
        row.document_id: row.sha256
        for row in (
            await session.execute(
                select(tables.PersistedDocument.document_id, tables.PersistedDocument.sha256)
                .where(
                    tables.PersistedDocument.tenant_id == tenant_id,
                    tables.PersistedDocument.client_id == client_id,
                    tables.PersistedDocument.document_id.in_([d.document_id for d in documents]),
                )
                .with_for_update()
            )
        ).all()
    }
    conflicts = [
        d.document_id for d in documents if existing.get(d.document_id, d.sha256) != d.sha256
    ]
    if conflicts:
        raise DocumentConflict(conflicts)
    client = insert(tables.ApiClient).values(
        tenant_id=tenant_id, client_id=client_id, safelist_only=bool(safelist_only)
    )
    if safelist_only is None:
        client = client.on_conflict_do_nothing(constraint="uq_api_clients_tenant_client")
    else:
        client = client.on_conflict_do_update(
            constraint="uq_api_clients_tenant_client", set_={"safelist_only": safelist_only}
        )
    await session.execute(client)
    new = [d for d in documents if d.document_id not in existing]
    if new:
        await session.execute(
            insert(tables.PersistedDocument)
            .values(
                [
                    {
                        "tenant_id": tenant_id,
                        "client_id": client_id,
                        "document_id": d.document_id,
                        "sha256": d.sha256,
                        "body": d.body,
                    }
                    for d in new
                ]
            )
            .on_conflict_do_nothing(constraint="uq_persisted_documents_client_id")
        )
    return len(new)


async def every_document(session: AsyncSession) -> Sequence[tables.PersistedDocument]:
    """All registered documents of every tenant (the owner's view), for `persisted check`."""
    return (
        await session.scalars(
            select(tables.PersistedDocument).order_by(
                tables.PersistedDocument.tenant_id,
                tables.PersistedDocument.client_id,
                tables.PersistedDocument.document_id,
            )
        )
    ).all()
