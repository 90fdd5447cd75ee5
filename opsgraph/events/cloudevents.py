"""The message bus form of a domain event: a CloudEvents 1.0 event, in the structured content
mode of the CloudEvents AMQP binding (the JSON event format as the body,
`application/cloudevents+json`), its attributes repeated as `cloudEvents:<name>` headers
(which the binding allows in that mode) so that a receiver can filter or route without
parsing the body, and the trace context of the mutation that wrote the event in the W3C
`traceparent`/`tracestate` headers (never in the body, like the hub's events).

Schema version 1: docs/bus-message.v1.schema.json describes the body, the README's "Message
bus" section the whole message. The version is part of every event's `type`
(`com.opsgraph.incident.created.v1`): additions (a new event type, a new field in `data`, a
new extension attribute) keep it; renaming or removing anything makes a version 2."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from db.event_trace import split_trace
from db.tables.events import OutboxEvent

SPEC_VERSION = "1.0"
SCHEMA_VERSION = 1
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
DATA_CONTENT_TYPE = "application/json"
HEADER_PREFIX = "cloudEvents:"  # the binding's application-property prefix
TRACE_HEADERS = ("traceparent", "tracestate")


@dataclass(frozen=True)
class BusMessage:
    """One event as published: where it goes and what it carries."""

    routing_key: str
    """The event's kind, `<entity>.<change>` (e.g. `incident.created`): what topic bindings
    match (`incident.*`, `*.created`, `#`)."""
    message_id: str
    """The CloudEvents `id`: the event's outbox `seq`, in decimal. The same event always has
    the same id (a re-send after a broker outage included): the receiver's idempotency key."""
    type: str
    timestamp: datetime
    headers: dict[str, str]
    body: bytes


def event_type(kind: str) -> str:
    """The CloudEvents `type` of an event kind: `com.opsgraph.<kind>.v<schema version>`."""
    return f"com.opsgraph.{kind}.v{SCHEMA_VERSION}"


def event_source(domain: str) -> str:
    """The CloudEvents `source`: the domain (subgraph) that wrote the event."""
    return f"/opsgraph/{domain}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def bus_message(event: OutboxEvent, trace: Mapping[str, str] | None = None) -> BusMessage:
    """The message of a stamped outbox event. `trace` is the trace context to send (the
    publish span's, or the one the event carries); the payload's own is never sent."""
    assert event.seq is not None, "only stamped events are published"
    data, carried = split_trace(event.payload)
    attributes = {
        "specversion": SPEC_VERSION,
        "id": str(event.seq),
        "source": event_source(event.domain),
        "type": event_type(event.kind),
        "subject": str(event.entity_id),
        "time": _rfc3339(event.created_at),
        "datacontenttype": DATA_CONTENT_TYPE,
        # Extension attributes (lower-case letters and digits, as CloudEvents requires).
        "tenantid": str(event.tenant_id),
        "entitytype": event.entity_type,
    }
    # As in the binding's binary mode: every attribute but `datacontenttype` (the body's own
    # content type says what it is).
    headers = {
        f"{HEADER_PREFIX}{name}": value
        for name, value in attributes.items()
        if name != "datacontenttype"
    }
    context = trace if trace is not None else carried
    for name in TRACE_HEADERS:
        if context and isinstance(context.get(name), str):
            headers[name] = context[name]
    return BusMessage(
        routing_key=event.kind,
        message_id=attributes["id"],
        type=attributes["type"],
        timestamp=event.created_at,
        headers=headers,
        body=orjson.dumps({**attributes, "data": data}),
    )
