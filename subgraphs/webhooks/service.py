"""The webhook rules: writing webhooks, fanning events out to deliveries, redelivering. No
Strawberry import; the GraphQL mutations and the event consumer call these."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict, NotFound
from resolvers.events import Event
from resolvers.jobs import Queued, enqueue, enqueue_many
from subgraphs.webhooks import catalogue, config, rules, tables, targets
from subgraphs.webhooks.enums import DeliveryStatus

DELIVER = "webhooks.deliver"
"""The job kind delivering one delivery (delivery.py)."""
SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def checked_secret(secret: str) -> str:
    """A client-given secret in the Standard Webhooks form (`whsec_` + base64 of 24-64 bytes)."""
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        raw = b""
    if not secret.startswith(SECRET_PREFIX) or not SECRET_MIN_BYTES <= len(raw) <= SECRET_MAX_BYTES:
        raise BadUserInput(
            f"secret must be {SECRET_PREFIX} followed by the base64 of {SECRET_MIN_BYTES} to "
            f"{SECRET_MAX_BYTES} random bytes (or leave it out to have one made)",
            argument="input.secret",
        )
    return secret


async def checked_url(url: str) -> str:
    url = url.strip()
    try:
        await targets.resolve(url, config.current().allow_private)
    except targets.TargetRefused as error:
        raise BadUserInput(str(error), argument="input.url") from None
    return url


def checked_rules(
    events: Sequence[str], conditions: Sequence[tuple[str, Sequence[str]]] | None
) -> tuple[tuple[str, ...], tuple[rules.Condition, ...]]:
    try:
        kinds = rules.event_types(events, catalogue.known_kinds())
        checked = rules.conditions(conditions or ())
    except rules.RuleError as error:
        raise BadUserInput(str(error), argument=f"input.{error.argument}") from None
    return kinds, checked


@dataclass
class NewWebhook:
    url: str
    events: Sequence[str]
    conditions: Sequence[tuple[str, Sequence[str]]] | None
    secret: str | None
    active: bool


async def create_webhook(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    new: NewWebhook,
    owner_id: uuid.UUID | None,
    owner_permissions: frozenset[str],
) -> tables.Webhook:
    kinds, conditions = checked_rules(new.events, new.conditions)
    secret = checked_secret(new.secret) if new.secret is not None else new_secret()
    row = tables.Webhook(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        url=await checked_url(new.url),
        events=list(kinds),
        conditions=[condition.as_json() for condition in conditions],
        secret=secret,
        active=new.active,
        owner_id=owner_id,
        owner_permissions=sorted(owner_permissions),
    )
    session.add(row)
    await session.flush()
    return row


UNCHANGED: Any = object()


async def find_webhook(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> tables.Webhook:
    row = await session.scalar(
        select(tables.Webhook)
        .where(tables.Webhook.tenant_id == tenant_id, tables.Webhook.id == id)
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"Webhook {id} not found", argument="id")
    return row


async def update_webhook(
    session: AsyncSession,
    row: tables.Webhook,
    *,
    url: Any = UNCHANGED,
    events: Any = UNCHANGED,
    conditions: Any = UNCHANGED,
    secret: Any = UNCHANGED,
    active: Any = UNCHANGED,
    owner_id: uuid.UUID | None,
    owner_permissions: frozenset[str],
) -> dict[str, list[Any]]:
    """Apply the given fields; returns the changes (field: [before, after]). The writer
    becomes the owner whose permissions deliveries apply. Re-activating clears the reason."""
    changes: dict[str, list[Any]] = {}
    if url is not UNCHANGED and url != row.url:
        checked = await checked_url(url)
        changes["url"] = [row.url, checked]
        row.url = checked
    if events is not UNCHANGED or conditions is not UNCHANGED:
        new_events = row.events if events is UNCHANGED else events
        given = (
            [(c["field"], c["in"]) for c in row.conditions]
            if conditions is UNCHANGED
            else conditions
        )
        kinds, checked_conditions = checked_rules(new_events, given)
        as_json = [condition.as_json() for condition in checked_conditions]
        if list(kinds) != row.events:
            changes["events"] = [row.events, list(kinds)]
            row.events = list(kinds)
        if as_json != row.conditions:
            changes["filter"] = [row.conditions, as_json]
            row.conditions = as_json
    if secret is not UNCHANGED:
        row.secret = checked_secret(secret) if secret is not None else new_secret()
        changes["secret"] = ["(hidden)", "(rotated)"]
    if active is not UNCHANGED and active != row.active:
        changes["active"] = [row.active, active]
        row.active = active
        if active:
            row.disabled_reason = None
            row.failing_since = None
    if changes:
        row.owner_id = owner_id
        row.owner_permissions = sorted(owner_permissions)
    await session.flush()
    await session.refresh(row)  # updated_at, set by the database
    return changes


def entity_lock(webhook_id: uuid.UUID, entity_type: str, entity_id: uuid.UUID) -> str:
    """Deliveries of one entity's events to one webhook go one at a time, in event order."""
    return f"webhook:{webhook_id}:{entity_type}:{entity_id}"


def body_of(event: Event) -> dict[str, Any]:
    """What a delivery carries (Standard Webhooks' `type`, `timestamp`, `data`): the event and
    the entity's data from it, stored whole; `as_sent` masks it as the owner may see it when
    it is sent (their permissions then, not at fan-out)."""
    return {
        "type": event.kind,
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            "eventId": str(event.seq),
            "entityType": event.entity_type,
            "entityId": str(event.entity_id),
            "entity": event.payload,
        },
    }


def as_sent(body: dict[str, Any], permissions: Iterable[str]) -> dict[str, Any]:
    """A stored body with the entity's personal data masked unless `permissions` hold
    `pii:view`."""
    data = body.get("data") or {}
    entity = rules.masked(data.get("entity"), rules.may_see_pii(permissions))
    return {**body, "data": {**data, "entity": entity}}


def wants(webhook: Any, event: Event) -> bool:
    """The webhook (a row with `events` and `conditions`) subscribes to the event: its type,
    its conditions hold. Whether its owner may see the event is decided when it is delivered
    (delivery.py), by the owner's permissions then."""
    if event.kind not in webhook.events:
        return False
    conditions = [rules.Condition.from_json(c) for c in webhook.conditions]
    return rules.matches(conditions, event.payload)


HOOK = tables.Webhook
SUBSCRIBED = (HOOK.id, HOOK.events, HOOK.conditions)


async def fan_out(session: AsyncSession, event: Event) -> int:
    """One delivery, and its job, per active webhook of the event's tenant that wants it, in
    the caller's transaction (the consumer's: its position moves in the same commit)."""
    hooks = await session.execute(
        select(*SUBSCRIBED).where(
            HOOK.tenant_id == event.tenant_id,
            HOOK.active.is_(True),
            HOOK.events.any_() == event.kind,
        )
    )
    queued = 0
    for hook in hooks.all():
        if not wants(hook, event):
            continue
        delivery_id = await session.scalar(
            insert(tables.WebhookDelivery)
            .values(
                tenant_id=event.tenant_id,
                webhook_id=hook.id,
                event_seq=event.seq,
                event_kind=event.kind,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                body=body_of(event),
                status=DeliveryStatus.PENDING.value,
            )
            .on_conflict_do_nothing(constraint="uq_webhook_deliveries_event")
            .returning(tables.WebhookDelivery.id)
        )
        if delivery_id is None:
            continue  # queued already (an event handled again)
        await enqueue(
            session,
            DELIVER,
            event.tenant_id,
            {"delivery_id": str(delivery_id)},
            lock=entity_lock(hook.id, event.entity_type, event.entity_id),
        )
        queued += 1
    return queued


INSERT_ROWS = 1000
"""Deliveries per INSERT of `fan_out_many` (a statement takes at most 32767 parameters)."""


async def fan_out_many(session: AsyncSession, events: Sequence[Event]) -> int:
    """`fan_out` of consecutive events of one tenant, in `seq` order, in three statements
    (up to INSERT_ROWS deliveries): the webhooks read once, the deliveries inserted at once,
    their jobs queued at once in event order (a webhook's jobs of one entity keep their
    order)."""
    tenant_id = events[0].tenant_id
    assert all(event.tenant_id == tenant_id for event in events)
    kinds = sorted({event.kind for event in events})
    hooks = (
        await session.execute(
            select(*SUBSCRIBED).where(
                HOOK.tenant_id == tenant_id,
                HOOK.active.is_(True),
                HOOK.events.overlap(kinds),
            )
        )
    ).all()
    parse = rules.Condition.from_json
    conditions = {hook.id: [parse(c) for c in hook.conditions] for hook in hooks}
    rows = [
        {
            "tenant_id": tenant_id,
            "webhook_id": hook.id,
            "event_seq": event.seq,
            "event_kind": event.kind,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "body": body_of(event),
            "status": DeliveryStatus.PENDING.value,
        }
        for event, data in zip(events, [rules.event_data(e.payload) for e in events], strict=True)
        for hook in hooks
        if event.kind in hook.events and rules.data_matches(conditions[hook.id], data)
    ]
    table = tables.WebhookDelivery
    ids: dict[tuple[uuid.UUID, int], uuid.UUID] = {}  # queued already: absent
    for start in range(0, len(rows), INSERT_ROWS):
        inserted = await session.execute(
            insert(table)
            .values(rows[start : start + INSERT_ROWS])
            .on_conflict_do_nothing(constraint="uq_webhook_deliveries_event")
            .returning(table.id, table.webhook_id, table.event_seq)
        )
        ids.update(((hook_id, seq), id) for id, hook_id, seq in inserted)
    jobs = [
        Queued(
            tenant_id,
            {"delivery_id": str(ids[row["webhook_id"], row["event_seq"]])},
            lock=entity_lock(row["webhook_id"], row["entity_type"], row["entity_id"]),
        )
        for row in rows
        if (row["webhook_id"], row["event_seq"]) in ids
    ]
    await enqueue_many(session, DELIVER, jobs)
    return len(jobs)


async def redeliver(
    session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> tables.WebhookDelivery:
    """Queue a finished delivery again (its attempts go on counting; the retry window starts
    afresh). CONFLICT while it is still pending or retrying."""
    row = await session.scalar(
        select(tables.WebhookDelivery)
        .where(
            tables.WebhookDelivery.tenant_id == tenant_id,
            tables.WebhookDelivery.id == delivery_id,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"Webhook delivery {delivery_id} not found", argument="deliveryId")
    if row.status in (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value):
        raise Conflict(
            f"Webhook delivery {delivery_id} is {row.status}: it is being delivered already"
        )
    hook = await session.get(tables.Webhook, row.webhook_id)
    if hook is None:
        raise NotFound(f"Webhook of delivery {delivery_id} was deleted", argument="deliveryId")
    row.status = DeliveryStatus.PENDING.value
    row.next_attempt_at = None
    await enqueue(
        session,
        DELIVER,
        tenant_id,
        {"delivery_id": str(row.id)},
        lock=entity_lock(row.webhook_id, row.entity_type, row.entity_id),
    )
    await session.flush()
    return row
