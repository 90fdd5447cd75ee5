"""The webhooks subgraph: outbound webhooks. Tenants subscribe URLs to event types of every
domain, with conditions on the event's data (NetBox's event rules); each matching event is
delivered as a signed JSON POST (Standard Webhooks), retried with back-off on the durable job
queue, logged per attempt, redeliverable.

Owns `Webhook`, `WebhookDelivery`, `WebhookAttempt`; references identity's `User` (the owner)
by key. It never imports another subgraph: it learns the event types from the registry
(catalogue.py) and reads the events as a consumer (fanout.py)."""

from subgraphs.webhooks.domain import DOMAIN
from subgraphs.webhooks.schema import schema

__all__ = ["DOMAIN", "schema"]
