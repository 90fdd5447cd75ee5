"""The WebSocket endpoint on ``/graphql``: origin check and subprotocol choice, then one
:class:`~router.websocket_protocol.connection.Connection` per socket."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from router.gateway import GatewayResult
from router.subscriptions import Subscriptions
from router.websocket_protocol.admission import Authenticate, Close
from router.websocket_protocol.connection import Connection
from router.websocket_protocol.dialects import DIALECTS


@dataclass(frozen=True, slots=True)
class WebSocketLimits:
    init_timeout: float = 10.0
    max_subscriptions: int = 100
    max_message_bytes: int = 1 << 20
    keepalive: float = 15.0
    send_timeout: float = 10.0


class Operations(Protocol):
    """What the socket asks of the executor behind it (the router's Gateway, or a
    stand-alone subgraph's schema): the text a request names, its kind, and the answer to a
    query or mutation. Subscriptions start through :class:`Subscriptions`."""

    async def document_text(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        document_id: str | None,
        context: object,
    ) -> str: ...

    def operation_type(self, query: str, operation_name: str | None) -> str: ...

    async def execute_request(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
        *,
        extensions: Mapping[str, Any] | None = None,
        document_id: str | None = None,
    ) -> GatewayResult: ...


class GraphQLWebSocket:
    """The WebSocket endpoint on /graphql."""

    def __init__(
        self,
        gateway: Operations,
        subscriptions: Subscriptions,
        authenticate: Authenticate,
        *,
        origin_allowed: Callable[[str], bool],
        limits: WebSocketLimits | None = None,
    ) -> None:
        self.gateway = gateway
        self.subscriptions = subscriptions
        self.authenticate = authenticate
        self.origin_allowed = origin_allowed
        self.limits = limits or WebSocketLimits()
        self.open_connections = 0  # accepted and not yet ended (a metric)

    async def serve(self, websocket: WebSocket) -> None:
        """The endpoint: one call per WebSocket connection."""
        origin = websocket.headers.get("origin")
        if origin is not None and not (
            _same_origin(origin, websocket.headers.get("host")) or self.origin_allowed(origin)
        ):
            await websocket.close(code=Close.FORBIDDEN)  # before accept: HTTP 403
            return
        offered = websocket.scope.get("subprotocols", ())
        chosen = next((name for name in DIALECTS if name in offered), None)
        if chosen is None:
            await websocket.accept()
            await websocket.close(Close.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=chosen)
        self.open_connections += 1
        try:
            await Connection(self, websocket, DIALECTS[chosen]).run()
        finally:
            self.open_connections -= 1


def _same_origin(origin: str, host: str | None) -> bool:
    """A page served by this server itself (e.g. the wallboard) may always connect."""
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()
