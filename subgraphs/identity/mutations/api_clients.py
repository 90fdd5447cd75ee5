"""createApiClient, updateApiClient and registerPersistedOperations. Each answers with the
client as its unit of work left it, with its operation count."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.permissions import requires
from subgraphs.identity import events
from subgraphs.identity.inputs import (
    CreateApiClientInput,
    RegisterPersistedOperationsInput,
    UpdateApiClientInput,
)
from subgraphs.identity.permissions import MANAGE_CLIENTS
from subgraphs.identity.service import api_clients as client_service
from subgraphs.identity.types import ApiClient, RegisterPersistedOperationsPayload


@strawberry.mutation(
    description="Record an API client (an application, by its tokens' client id). "
    "CONFLICT when it exists; BAD_USER_INPUT for a malformed client id.",
    extensions=requires(MANAGE_CLIENTS),
)
async def create_api_client(info: strawberry.Info, input: CreateApiClientInput) -> ApiClient:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await client_service.create_client(
            session, ctx.tenant_id, input.client_id, input.safelist_only
        )
        audit.entity(events.API_CLIENT, row.id)
        audit.changed(changes)
        return ApiClient.from_row(await client_service.client_with_count(session, row))


@strawberry.mutation(
    description="Change an API client: safelistOnly takes effect within seconds. "
    "NOT_FOUND for an unknown client.",
    extensions=requires(MANAGE_CLIENTS),
)
async def update_api_client(
    info: strawberry.Info, client_id: str, input: UpdateApiClientInput
) -> ApiClient:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, changes = await client_service.update_client(
            session, ctx.tenant_id, client_id, safelist_only=input.safelist_only
        )
        audit.entity(events.API_CLIENT, row.id)
        audit.changed(changes)
        return ApiClient.from_row(await client_service.client_with_count(session, row))


@strawberry.mutation(
    description="Register a client's persisted operations from its manifest (Apollo or "
    "Relay format), validated against the current API schema: BAD_USER_INPUT with each "
    "invalid operation's errors (extensions.problems), registering nothing; NOT_FOUND "
    "for an unknown client; CONFLICT when an id is registered with another text.",
    extensions=requires(MANAGE_CLIENTS),
)
async def register_persisted_operations(
    info: strawberry.Info, input: RegisterPersistedOperationsInput
) -> RegisterPersistedOperationsPayload:
    ctx = info.context
    async with audited(info) as (session, audit):
        row, added, count = await client_service.register_operations(
            session, ctx.tenant_id, input.client_id, input.manifest, ctx.api_schema
        )
        audit.entity(events.API_CLIENT, row.id)
        audit.changed({"persistedOperations": [None, added]})
        client = ApiClient.from_row(await client_service.client_with_count(session, row))
    return RegisterPersistedOperationsPayload(client=client, added_ids=added, operation_count=count)
