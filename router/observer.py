"""What the gateway tells an application that watches it (metrics), without knowing how it
is recorded: one call per request once its answer is known, one per subgraph fetch.

The router stays free of any metrics library: the application hands the gateway an object
with these two methods (``opsgraph.metrics`` records them with prometheus-client). Calls are
synchronous and must be cheap; they run on the request's path. Labels that come from
clients (operation names, error codes) arrive as sent: bounding them is the observer's job.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from router.execution.transport import (
    SubgraphRequest,
    SubgraphResponse,
    SubscriptionTransport,
    Transport,
)

# How a lookup went: None when the request did not use the facility at all.
Lookup = Literal["hit", "miss"] | None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished request as the gateway saw it.

    ``operation_name``/``operation_type`` are the executed operation's (``None`` when the
    request failed before an operation was selected); ``error_codes`` the
    ``extensions.code`` of each error of the answer (``None`` for an error without one);
    ``executed`` tells a request refused before execution from one that ran."""

    operation_name: str | None
    operation_type: str | None
    executed: bool
    has_data: bool
    error_codes: tuple[str | None, ...]
    seconds: float
    response_cache: Lookup = None
    apq: Lookup = None


class GatewayObserver(Protocol):
    """Receives what the gateway did; see the module docstring."""

    def request_finished(self, record: RequestRecord) -> None: ...

    def subgraph_fetched(
        self, subgraph: str, transport: str, seconds: float, failed: bool
    ) -> None: ...


def transport_kind(transport: object) -> str:
    """``in_process``, ``http`` or the transport's class name: the label of its fetches."""
    return str(getattr(transport, "kind", type(transport).__name__))


def observed(inner: Transport, subgraph: str, observer: GatewayObserver) -> Transport:
    """``inner`` with its fetches timed and reported to ``observer``; a transport that
    follows subscriptions still does (they pass through unobserved)."""
    if isinstance(inner, SubscriptionTransport):
        return _ObservedSubscriptionTransport(inner, subgraph, observer)
    return _ObservedTransport(inner, subgraph, observer)


class _ObservedTransport:
    def __init__(self, inner: Transport, subgraph: str, observer: GatewayObserver) -> None:
        self.inner = inner
        self.subgraph = subgraph
        self.kind = transport_kind(inner)
        self.observer = observer
        # What the executor reads of the transport it was given.
        self.schema_checked = getattr(inner, "schema_checked", False)

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        started = time.perf_counter()
        response = await self.inner.fetch(request, context)
        self.observer.subgraph_fetched(
            self.subgraph,
            self.kind,
            time.perf_counter() - started,
            response.data is None and bool(response.errors),
        )
        return response


class _ObservedSubscriptionTransport(_ObservedTransport):
    def __init__(
        self, inner: SubscriptionTransport, subgraph: str, observer: GatewayObserver
    ) -> None:
        super().__init__(inner, subgraph, observer)  # type: ignore[arg-type]
        self.follow = inner

    def subscribe(
        self, request: SubgraphRequest, context: object
    ) -> AsyncIterator[SubgraphResponse]:
        return self.follow.subscribe(request, context)


def error_codes(body: dict[str, Any]) -> tuple[str | None, ...]:
    """The ``extensions.code`` of each error of a response body."""
    errors = body.get("errors")
    if not errors:
        return ()
    codes: list[str | None] = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) else None)
    return tuple(codes)
