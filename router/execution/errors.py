"""GraphQL error dictionaries as the router returns them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from router.execution.transport import DOWNSTREAM_ERROR_CODE, SERVICE_UNAVAILABLE_CODE

# What a 503 answer asks the client to wait before retrying.
RETRY_AFTER_SECONDS = 2

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


def is_unavailable(body: Mapping[str, Any]) -> bool:
    """Whether a GraphQL response holds nothing but SERVICE_UNAVAILABLE: every error has that
    code and no root field has a value. Such a response is HTTP 503 with Retry-After; one
    with any data, or any other error, is an ordinary (partial) GraphQL response."""
    errors = body.get("errors")
    if not errors or any(
        (error.get("extensions") or {}).get("code") != SERVICE_UNAVAILABLE_CODE for error in errors
    ):
        return False
    data = body.get("data")
    return data is None or all(value is None for value in data.values())


def unavailable_headers() -> dict[str, str]:
    """The headers of a 503 answer: when to retry."""
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}
