"""API clients as the API shows them: applications by their tokens' client id, whether each
may run only its registered persisted operations, and how many it has registered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db.persisted import clients_with_counts
from db.tables import persisted as tables


@strawberry.type(
    description="An application calling the API (a partner system, a mobile app), named by "
    "the `azp` (or `client_id`) claim of its tokens."
)
class ApiClient:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID) of the record.")
    client_id: str = strawberry.field(description="The client id its tokens carry.")
    safelist_only: bool = strawberry.field(
        description="When true the client may run only its registered persisted operations; "
        "anything else is refused with PERSISTED_QUERY_NOT_IN_LIST."
    )
    document_count: int = strawberry.field(
        description="How many persisted operations are registered for it."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")

    @classmethod
    def from_row(cls, row: Any) -> ApiClient:
        return cls(
            id=strawberry.ID(str(row.id)),
            client_id=row.client_id,
            safelist_only=row.safelist_only,
            document_count=row.document_count,
            created_at=row.created_at,
        )


@strawberry.type(description="What registerPersistedOperations did.")
class RegisterPersistedOperationsPayload:
    client: ApiClient = strawberry.field(description="The client, with its new count.")
    added_ids: list[str] = strawberry.field(
        description="Ids of the operations registered now; those already registered with "
        "the same text are left as they were."
    )
    operation_count: int = strawberry.field(description="How many operations the manifest holds.")


async def all_clients(info: strawberry.Info) -> list[ApiClient]:
    ctx = info.context
    rows = await ctx.db.rows(
        clients_with_counts()
        .where(tables.ApiClient.tenant_id == ctx.tenant_id)
        .order_by(tables.ApiClient.client_id)
    )
    return [ApiClient.from_row(row) for row in rows]


async def client_as_shown(session: AsyncSession, row: tables.ApiClient) -> ApiClient:
    """A client changed in this unit of work, with its document count as it stands."""
    statement = clients_with_counts().where(tables.ApiClient.id == row.id)
    return ApiClient.from_row((await session.execute(statement)).one())
