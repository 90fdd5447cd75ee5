"""redeliverWebhook: send a finished delivery again."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.webhooks import permissions, service
from subgraphs.webhooks.types import WebhookDelivery


@strawberry.mutation(
    description="Queue a delivery again (delivered, dead or skipped): same body, same "
    "`webhook-id`, attempts go on counting, the retry window starts afresh. NOT_FOUND for an "
    "unknown delivery; CONFLICT while it is still pending or retrying.",
    extensions=requires(permissions.ADMIN),
)
async def redeliver_webhook(info: strawberry.Info, delivery_id: strawberry.ID) -> WebhookDelivery:
    ctx = info.context
    parsed = parse_id(delivery_id, "deliveryId")
    async with audited(info) as (session, audit):
        row = await service.redeliver(session, ctx.tenant_id, parsed)
        audit.entity("WebhookDelivery", row.id)
        audit.changed({"status": [None, row.status]})
        delivery = WebhookDelivery.from_row(row)
    return delivery
