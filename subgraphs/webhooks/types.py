"""Types the webhooks subgraph owns: Webhook, its deliveries and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from resolvers.pagination import Connection, Pagination, SortOrder, paginate
from subgraphs.webhooks import tables
from subgraphs.webhooks.enums import AttemptOutcome, DeliveryStatus
from subgraphs.webhooks.loaders import AttemptsByDeliveryIdLoader
from subgraphs.webhooks.references import User


@strawberry.type(description="A condition of a webhook's filter.")
class EventCondition:
    field: str = strawberry.field(description="The event's field.")
    in_: list[str] = strawberry.field(name="in", description="The values it may have.")


@strawberry.type(description="One try of a delivery: the delivery log.")
class WebhookAttempt:
    attempt: int = strawberry.field(description="1 for the first try.")
    outcome: AttemptOutcome = strawberry.field(description="How it ended.")
    status_code: int | None = strawberry.field(description="The HTTP status, if answered.")
    latency_ms: int | None = strawberry.field(description="Milliseconds until the answer.")
    response_excerpt: str | None = strawberry.field(
        description="The answer's first kilobyte, as text."
    )
    error: str | None = strawberry.field(description="What went wrong, if anything.")
    attempted_at: datetime = strawberry.field(description="When it was tried.")

    @classmethod
    def from_row(cls, row: Any) -> WebhookAttempt:
        return cls(
            attempt=row.attempt,
            outcome=AttemptOutcome(row.outcome),
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            response_excerpt=row.response_excerpt,
            error=row.error,
            attempted_at=row.created_at,
        )


@strawberry.type(description="One event sent (or to be sent) to one webhook.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(
        description="Also the `webhook-id` header it is sent with."
    )
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")
    event_id: str = strawberry.field(description="The event's id (its position in the feed).")
    event_type: str = strawberry.field(description="e.g. `incident.created`.")
    entity_type: str = strawberry.field(description="The entity the event is about.")
    entity_id: strawberry.ID = strawberry.field(description="Its id.")
    status: DeliveryStatus = strawberry.field(description="Where the delivery is.")
    attempts: int = strawberry.field(description="How many tries so far.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next.")
    last_error: str | None = strawberry.field(description="Why the last try failed.")
    created_at: datetime = strawberry.field(description="When the event was queued for it.")

    @strawberry.field(description="Every try, in order.")
    async def attempt_log(self, info: strawberry.Info) -> list[WebhookAttempt]:
        rows = await info.context.loaders.get(AttemptsByDeliveryIdLoader).load(
            uuid.UUID(str(self.id))
        )
        return [WebhookAttempt.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: Any) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(row.id)),
            webhook_id=strawberry.ID(str(row.webhook_id)),
            event_id=str(row.event_seq),
            event_type=row.event_kind,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(str(row.entity_id)),
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            created_at=row.created_at,
        )


DELIVERY_ORDER = SortOrder(
    name="created:desc",
    columns=(tables.WebhookDelivery.created_at, tables.WebhookDelivery.id),
    descending=True,
)


@strawberry.type(description="An outbound webhook: which events go where, signed how.")
class Webhook:
    id: strawberry.ID
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    events: list[str] = strawberry.field(description="The event types delivered.")
    filter: list[EventCondition] = strawberry.field(
        description="Conditions on the event's data; all must hold."
    )
    active: bool = strawberry.field(description="Whether deliveries are sent.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled, when it kept failing."
    )
    failing_since: datetime | None = strawberry.field(
        description="Since when every delivery failed (null: healthy)."
    )
    owner: User | None = strawberry.field(
        description="Who last wrote it: deliveries carry what they may see."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Its deliveries, newest first.")
    async def deliveries(
        self, info: strawberry.Info, pagination: Pagination | None = None
    ) -> Connection[WebhookDelivery]:
        return await deliveries_of(info, uuid.UUID(str(self.id)), pagination)

    @classmethod
    def from_row(cls, row: Any) -> Webhook:
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            events=list(row.events),
            filter=[EventCondition(field=c["field"], in_=list(c["in"])) for c in row.conditions],
            active=row.active,
            disabled_reason=row.disabled_reason,
            failing_since=row.failing_since,
            owner=User(id=strawberry.ID(str(row.owner_id))) if row.owner_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


async def deliveries_of(
    info: strawberry.Info, webhook_id: Any, pagination: Pagination | None
) -> Connection[WebhookDelivery]:
    row = tables.WebhookDelivery
    query = select(*row.__table__.c).where(
        row.tenant_id == info.context.tenant_id, row.webhook_id == webhook_id
    )
    return await paginate(
        info.context.db, query, DELIVERY_ORDER, pagination, WebhookDelivery.from_row
    )


@strawberry.type(description="A webhook with its signing secret, shown this once.")
class WebhookWithSecret:
    webhook: Webhook
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_...`): shown only when made or rotated."
    )
