"""updateWebhook: change a webhook's target, rules or state; rotate its secret."""

from __future__ import annotations

import strawberry

from resolvers.audit import audited
from resolvers.ids import parse_id
from resolvers.permissions import requires
from subgraphs.webhooks import permissions, service
from subgraphs.webhooks.inputs import UpdateWebhookInput
from subgraphs.webhooks.mutations.create_webhook import conditions
from subgraphs.webhooks.types import Webhook, WebhookWithSecret


def given(value: object) -> object:
    return service.UNCHANGED if value is strawberry.UNSET else value


@strawberry.mutation(
    description="Change a webhook. The caller becomes its owner (deliveries carry what they "
    "may see). `active: true` re-activates a webhook disabled for failing. NOT_FOUND for an "
    "unknown webhook; BAD_USER_INPUT as for createWebhook.",
    extensions=requires(permissions.ADMIN),
)
async def update_webhook(
    info: strawberry.Info, id: strawberry.ID, input: UpdateWebhookInput
) -> WebhookWithSecret:
    ctx = info.context
    webhook_id = parse_id(id)
    if input.url is None or input.events is None or input.active is None:
        from resolvers.errors import BadUserInput

        raise BadUserInput("input: url, events and active cannot be null", argument="input")
    async with audited(info) as (session, audit):
        row = await service.find_webhook(session, ctx.tenant_id, webhook_id)
        changes = await service.update_webhook(
            session,
            row,
            url=given(input.url),
            events=given(input.events),
            conditions=(
                service.UNCHANGED
                if input.filter is strawberry.UNSET
                else conditions(input.filter) or []
            ),
            secret=None if input.rotate_secret else service.UNCHANGED,
            active=given(input.active),
            owner_id=ctx.actor_id,
            owner_permissions=ctx.principal.permissions,
        )
        audit.entity("Webhook", row.id)
        if changes:
            audit.changed(changes)
        else:
            audit.nothing_changed()
        webhook = Webhook.from_row(row)
        secret = row.secret if input.rotate_secret else None
    return WebhookWithSecret(webhook=webhook, secret=secret)
