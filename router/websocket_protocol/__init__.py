"""GraphQL over WebSocket on ``/graphql``: ``graphql-transport-ws``, and the legacy ``graphql-ws``.

Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md. The legacy
protocol of subscriptions-transport-ws (``start``/``data``/``stop``, server ``ka``) is spoken
under the same rules, which make it safe: nothing before ``connection_init``, the same limits
and close codes; a client offering both gets ``graphql-transport-ws``, one offering neither 4406.

- The upgrade is refused (HTTP 403) when its ``Origin`` is neither this server's own nor
  allowed by ``origin_allowed`` (browsers send it; other clients usually do not).
- ``connection_init`` must come first and within ``init_timeout`` (4408); anything else
  first is 4401 (subscribe) or 4400; a second one is 4429. Its payload (and the upgrade's
  headers) authenticate the connection through the application's ``authenticate``, which
  may refuse it with its own close code (4403, or 4429 for too many connections).
- Operations: subscriptions stream through :class:`router.subscriptions.Subscriptions`;
  queries and mutations over the socket get one ``next`` and ``complete``. Refused
  operations get ``error``. A reused id is 4409; more than ``max_subscriptions`` at once is
  4429; a malformed message is 4400.
- The server pings every ``keepalive`` seconds and answers pings. A connection whose
  credentials expire, or are withdrawn (the grant's ``revoked`` returns), is closed with
  4403; a subscriber that does not read its events (a send blocked for ``send_timeout``, or
  ``queue_limit`` responses behind) with 1013.
"""

from router.websocket_protocol.admission import (
    Authenticate,
    Close,
    ConnectionRefused,
    Grant,
)
from router.websocket_protocol.endpoint import GraphQLWebSocket, WebSocketLimits

__all__ = [
    "Authenticate",
    "Close",
    "ConnectionRefused",
    "Grant",
    "GraphQLWebSocket",
    "WebSocketLimits",
]
