"""GraphQL error dictionaries as the router returns them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from router.execution.transport import DOWNSTREAM_ERROR_CODE

# Extensions a subgraph may add for its own debugging; never forwarded to clients.
_PRIVATE_EXTENSIONS = frozenset({"exception", "stacktrace"})


def subgraph_error(
    error: dict[str, Any], path: Sequence[str | int] | None, service: str
) -> dict[str, Any]:
    """A subgraph error re-pathed to the client's response with ``serviceName`` and a code."""
    extensions = {
        key: value
        for key, value in (error.get("extensions") or {}).items()
        if key not in _PRIVATE_EXTENSIONS
    }
    extensions.setdefault("code", DOWNSTREAM_ERROR_CODE)
    extensions["serviceName"] = service
    formatted: dict[str, Any] = {"message": str(error.get("message") or "Subgraph error")}
    if path is not None:
        formatted["path"] = list(path)
    formatted["extensions"] = extensions
    return formatted


def router_error(
    message: str, code: str, path: Sequence[str | int] | None = None, **extra: Any
) -> dict[str, Any]:
    """An error raised by the router itself."""
    formatted: dict[str, Any] = {"message": message}
    if path is not None:
        formatted["path"] = list(path)
    formatted["extensions"] = {"code": code, **extra}
    return formatted
