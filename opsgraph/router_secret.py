"""The split router's credential towards the stand-alone subgraphs: a shared secret.

`_entities` resolves any entity from a representation the caller makes up, and `_service`
hands out the subgraph's whole SDL; both are meant for the router alone. The router sends
OPSGRAPH_SUBGRAPH_SECRET in `X-OpsGraph-Router-Secret` on every subgraph request (SDL
fetches included); a subgraph compares it in constant time. A client never gets to send it
through the router: the router forwards only the headers it names (router/execution/http.py).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from opsgraph.settings import Settings, SettingsError

ROUTER_SECRET_HEADER = "x-opsgraph-router-secret"


def router_headers(secret: str | None) -> dict[str, str]:
    """The header(s) the router adds to every subgraph request."""
    return {ROUTER_SECRET_HEADER: secret} if secret else {}


def from_router(headers: Mapping[str, str], secret: str | None) -> bool:
    """Whether the request carries the router's secret (never true without one set)."""
    given = headers.get(ROUTER_SECRET_HEADER)
    if secret is None or given is None:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


def require_router_secret(settings: Settings) -> None:
    """A production subgraph refuses to start without a secret: it would have to answer
    `_entities` and `_service` to everyone, or to no one (not even the router)."""
    if settings.env == "production" and settings.subgraph_secret is None:
        raise SettingsError(
            "OPSGRAPH_SUBGRAPH_SECRET must be set in production: a stand-alone subgraph "
            "answers _entities and _service only to the router holding that secret (give "
            "the router and every subgraph the same value, e.g. from `openssl rand -hex 32`)"
        )
