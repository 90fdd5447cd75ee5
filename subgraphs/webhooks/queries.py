"""Query root of the webhooks subgraph."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from resolvers.errors import NotFound
from resolvers.ids import parse_id
from resolvers.pagination import Connection, Pagination
from resolvers.permissions import requires
from subgraphs.webhooks import permissions, tables
from subgraphs.webhooks.types import Webhook, WebhookDelivery, deliveries_of

Row = tables.Webhook
COLUMNS = tuple(Row.__table__.c)


@strawberry.type
class Query:
    @strawberry.field(
        description="The tenant's outbound webhooks, oldest first (secrets are never shown).",
        extensions=requires(permissions.ADMIN),
    )
    async def webhooks(self, info: strawberry.Info) -> list[Webhook]:
        query = (
            select(*COLUMNS)
            .where(Row.tenant_id == info.context.tenant_id)
            .order_by(Row.created_at, Row.id)
        )
        return [Webhook.from_row(row) for row in await info.context.db.rows(query)]

    @strawberry.field(
        description="One webhook by id; null when the tenant has none with that id.",
        extensions=requires(permissions.ADMIN),
    )
    async def webhook(self, info: strawberry.Info, id: strawberry.ID) -> Webhook | None:
        query = select(*COLUMNS).where(
            Row.tenant_id == info.context.tenant_id, Row.id == parse_id(id)
        )
        rows = await info.context.db.rows(query)
        return Webhook.from_row(rows[0]) if rows else None

    @strawberry.field(
        description="A webhook's delivery log, newest first: each delivery with its attempts "
        "(status, latency, response excerpt). NOT_FOUND for an unknown webhook.",
        extensions=requires(permissions.ADMIN),
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        webhook_id: strawberry.ID,
        pagination: Pagination | None = None,
    ) -> Connection[WebhookDelivery]:
        hook_id = parse_id(webhook_id, "webhookId")
        found = await info.context.db.rows(
            select(Row.id).where(Row.tenant_id == info.context.tenant_id, Row.id == hook_id)
        )
        if not found:
            raise NotFound(f"Webhook {webhook_id} not found", argument="webhookId")
        return await deliveries_of(info, hook_id, pagination)
