"""Who a request speaks for, as far as the router's caches and persisted operations care.

The router never sees the server's principal type: the wiring hands the gateway a function
from the opaque request context to a :class:`Caller`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """``tenant`` walls every cache entry; ``audience`` keys entries shared by callers who see
    the same fields the same way (their permission set); ``principal`` keys private entries
    (``None`` for an anonymous caller, whose private data is never cached); ``client_id`` names
    the application (a partner system) whose registered documents apply; ``safelist_only``
    says the credentials themselves restrict the caller to those documents."""

    tenant: str
    audience: str
    principal: str | None = None
    client_id: str | None = None
    safelist_only: bool = False


CallerOf = Callable[[object], Caller]
