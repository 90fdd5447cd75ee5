"""The transport seam: how the executor talks to one subgraph.

The router never imports subgraph code; it sends a GraphQL request through a ``Transport``.
``context`` is the application's opaque per-request object; the router only passes it on.
Transports never raise for subgraph or network failures: they answer with errors instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import orjson

# Codes the router gives errors that do not carry their own ``extensions.code``.
TRANSPORT_FAILURE_CODE = "INTERNAL_SERVER_ERROR"
DOWNSTREAM_ERROR_CODE = "DOWNSTREAM_SERVICE_ERROR"
# A subgraph cannot serve the request now but may once what it depends on (its database) is
# back. The router never learns why: it reads the code (router/execution/errors.py).
SERVICE_UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    """One GraphQL request to a subgraph. ``own`` names the variable built for this request
    alone (an entity fetch's representations): nobody reads it once it is sent, so a
    transport may hand it on as it is where it copies the variables it shares."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    own: str | None = None


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    """A subgraph's answer; ``errors`` are GraphQL JSON errors as the subgraph sent them."""

    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


def headers_of(context: object) -> Mapping[str, str] | None:
    """The client's headers, from a request context that has them (its ``headers``: a
    case-insensitive mapping preferred), as the HTTP transport forwards them. Asked by
    attribute: ``isinstance`` with a runtime-checkable protocol costs about 5 µs on Python
    3.11, and every request asks several times."""
    return getattr(context, "headers", None)


class Transport(Protocol):
    """Sends one request to one subgraph."""

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        """Answer ``request``; failures become errors in the response, never exceptions."""
        ...


@runtime_checkable
class SubscriptionTransport(Protocol):
    """A transport that can also follow a subgraph subscription."""

    def subscribe(
        self, request: SubgraphRequest, context: object
    ) -> AsyncIterator[SubgraphResponse]:
        """The subgraph's responses, one per event, until the subscription ends."""
        ...


@runtime_checkable
class EventScoped(Protocol):
    """A request context that outlives one event (a subscription's, a WebSocket's): the
    router calls ``end_event`` once each event's response is complete, so the application
    can release what the event used (database connections, loader caches)."""

    async def end_event(self) -> None: ...


def reads_one_snapshot(context: object) -> None:
    """Tell a request context whose operation is a query, if it has a use for it (its
    ``reads_one_snapshot``), before any fetch: an application whose subgraphs run in this
    process may read for all of them from one snapshot of its database."""
    told = getattr(context, "reads_one_snapshot", None)
    if told is not None:
        told()


def failure(message: str, code: str = TRANSPORT_FAILURE_CODE) -> SubgraphResponse:
    """The response standing in for a request that got no usable answer."""
    return SubgraphResponse(data=None, errors=[{"message": message, "extensions": {"code": code}}])


def graphql_answer(status: int, content: bytes) -> SubgraphResponse:
    """A subgraph's JSON answer (HTTP ``status``) as a response; errors for one that is not
    GraphQL (SERVICE_UNAVAILABLE after an HTTP 503)."""
    code = SERVICE_UNAVAILABLE_CODE if status == 503 else TRANSPORT_FAILURE_CODE
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError:
        return failure(f"Subgraph answered HTTP {status} without a JSON body", code)
    refusal = f"Subgraph answered HTTP {status} without a GraphQL result"
    return graphql_payload(payload, refusal, code)


def graphql_payload(
    payload: object, refusal: str, code: str = TRANSPORT_FAILURE_CODE
) -> SubgraphResponse:
    """A decoded GraphQL result as a response; the ``refusal`` error when it is none."""
    if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
        return failure(refusal, code)
    data = payload.get("data")
    errors = payload.get("errors")
    return SubgraphResponse(
        data=data if isinstance(data, dict) else None,
        errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
    )
