"""The two protocols spoken on the socket, as the message names each uses."""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOL = "graphql-transport-ws"

LEGACY_PROTOCOL = "graphql-ws"


@dataclass(frozen=True, slots=True)
class Dialect:
    """The message names of one protocol."""

    subscribe: str
    stop: str
    next: str
    ping: str  # what the server sends as keep-alive
    answers_pings: bool


DIALECTS = {
    PROTOCOL: Dialect("subscribe", "complete", "next", "ping", answers_pings=True),
    LEGACY_PROTOCOL: Dialect("start", "stop", "data", "ka", answers_pings=False),
}
