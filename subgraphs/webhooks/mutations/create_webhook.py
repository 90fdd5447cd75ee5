"""createWebhook: subscribe a URL to events, with its signing secret."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.permissions import requires
from subgraphs.webhooks import permissions, service
from subgraphs.webhooks.inputs import CreateWebhookInput, EventConditionInput
from subgraphs.webhooks.types import Webhook, WebhookWithSecret


def conditions(given: list[EventConditionInput] | None) -> list[tuple[str, list[str]]] | None:
    return None if given is None else [(c.field, list(c.in_)) for c in given]


@strawberry.mutation(
    description="Create an outbound webhook; the answer holds its signing secret, shown this "
    "once. BAD_USER_INPUT for a malformed or forbidden URL (loopback, private, link-local, "
    "metadata addresses), an unknown event type, a malformed filter or secret.",
    extensions=requires(permissions.ADMIN),
)
async def create_webhook(info: strawberry.Info, input: CreateWebhookInput) -> WebhookWithSecret:
    ctx = info.context
    new = service.NewWebhook(
        url=input.url,
        events=input.events,
        conditions=conditions(input.filter),
        secret=input.secret,
        active=input.active,
    )
    async with audited(info) as (session, audit):
        row = await service.create_webhook(
            session, ctx.tenant_id, new, ctx.actor_id, ctx.principal.permissions
        )
        audit.entity("Webhook", row.id)
        audit.created({"url": row.url, "events": row.events, "active": row.active})
        webhook = Webhook.from_row(row)
    return WebhookWithSecret(webhook=webhook, secret=row.secret)
