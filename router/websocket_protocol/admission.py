"""What the application decides for each connection: admit it (a :class:`Grant`) or refuse
it with a close code (:class:`ConnectionRefused`), and the close codes it may use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Close(IntEnum):
    TRY_AGAIN_LATER = 1013
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    INIT_TIMEOUT = 4408
    SUBSCRIBER_EXISTS = 4409
    TOO_MANY = 4429
    INTERNAL_ERROR = 4500


@dataclass(frozen=True, slots=True)
class Grant:
    """An authenticated connection: the context its operations run with, when its
    credentials expire (epoch seconds), what to call when it ends, and what returns (with
    the reason) once its credentials are withdrawn before they expire."""

    context: object
    expires_at: float | None = None
    release: Callable[[], Awaitable[None]] | None = None
    revoked: Callable[[], Awaitable[str]] | None = None


class ConnectionRefused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


# authenticate(upgrade headers, connection_init payload, client address) -> Grant
Authenticate = Callable[[Mapping[str, str], Mapping[str, Any], str], Awaitable[Grant]]
