"""Reading and registering persisted documents (tables in db/tables/persisted.py).

Look-ups run per request behind the tenant wall (`RequestDatabase`). Registration runs inside
the caller's transaction: as the owner from the CLI, or as the application role from the
admin mutations (behind the wall, with the INSERT/UPDATE grants of migration 0006); the
all-tenants check runs as the owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
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


async def find_client(
    session: AsyncSession, tenant_id: uuid.UUID, client_id: str, *, lock: bool = False
) -> tables.ApiClient | None:
    """The tenant's record of ``client_id``; ``lock`` holds it until the transaction ends, so
    that registrations for one client run one after the other."""
    statement = select(tables.ApiClient).where(
        tables.ApiClient.tenant_id == tenant_id, tables.ApiClient.client_id == client_id
    )
    return await session.scalar(statement.with_for_update() if lock else statement)


async def register_documents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    client_id: str,
    documents: Sequence[NewDocument],
    *,
    safelist_only: bool | None = None,
) -> int:
    """Create the client record (setting its safelist flag when given) and add the documents
    it has not registered yet. Returns how many were added. Raises DocumentConflict if an id
    names another text; the caller's transaction then rolls back and nothing changed."""
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
    await find_client(session, tenant_id, client_id, lock=True)
    return len(await add_documents(session, tenant_id, client_id, documents))


async def add_documents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    client_id: str,
    documents: Sequence[NewDocument],
) -> list[str]:
    """Add the documents the client has not registered yet (those it has stay as they are);
    returns the ids added. The caller holds the client's record locked (``find_client``).
    Raises DocumentConflict, adding nothing, if an id names another text."""
    existing = {
        row.document_id: row.sha256
        for row in (
            await session.execute(
                select(tables.PersistedDocument.document_id, tables.PersistedDocument.sha256).where(
                    tables.PersistedDocument.tenant_id == tenant_id,
                    tables.PersistedDocument.client_id == client_id,
                    tables.PersistedDocument.document_id.in_([d.document_id for d in documents]),
                )
            )
        ).all()
    }
    conflicts = [
        d.document_id for d in documents if existing.get(d.document_id, d.sha256) != d.sha256
    ]
    if conflicts:
        raise DocumentConflict(conflicts)
    new = [d for d in documents if d.document_id not in existing]
    if new:
        await session.execute(
            insert(tables.PersistedDocument).values(
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
        )
    return [d.document_id for d in new]


def clients_with_counts() -> Select[tuple[uuid.UUID, str, bool, datetime, int]]:
    """API client records with how many documents each has registered (one statement)."""
    client, document = tables.ApiClient, tables.PersistedDocument
    count = (
        select(func.count())
        .where(document.tenant_id == client.tenant_id, document.client_id == client.client_id)
        .scalar_subquery()
    )
    return select(
        client.id,
        client.client_id,
        client.safelist_only,
        client.created_at,
        count.label("document_count"),
    )


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
