"""deleteWebhook: stop sending to a webhook and forget it (its queued deliveries are skipped)."""

from __future__ import annotations

import strawberry
from sqlalchemy import delete, select

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.webhooks import permissions, service, tables


@strawberry.mutation(
    description="Delete a webhook and its delivery log; returns its id. Deliveries still "
    "queued are skipped. NOT_FOUND for an unknown webhook.",
    extensions=requires(permissions.ADMIN),
)
async def delete_webhook(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    ctx = info.context
    webhook_id = parse_id(id)
    async with audited(info) as (session, audit):
        row = await service.find_webhook(session, ctx.tenant_id, webhook_id)
        audit.entity("Webhook", row.id)
        audit.deleted({"url": row.url, "events": row.events, "active": row.active})
        deliveries = tables.WebhookDelivery
        attempts = tables.WebhookAttempt
        await session.execute(
            delete(attempts).where(
                attempts.tenant_id == ctx.tenant_id,
                attempts.delivery_id.in_(
                    select(deliveries.id).where(
                        deliveries.tenant_id == ctx.tenant_id, deliveries.webhook_id == row.id
                    )
                ),
            )
        )
        await session.execute(
            delete(deliveries).where(
                deliveries.tenant_id == ctx.tenant_id, deliveries.webhook_id == row.id
            )
        )
        await session.delete(row)
    return strawberry.ID(str(webhook_id))
