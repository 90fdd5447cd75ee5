"""The one way a stage refuses a request: the response has ``errors`` and no ``data``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from graphql import GraphQLError


class RequestError(Exception):
    """The request cannot be executed at all; the response has ``errors`` and no ``data``."""

    def __init__(
        self,
        code: str,
        errors: list[dict[str, Any]],
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(errors[0]["message"] if errors else code)
        self.errors = [
            {**e, "extensions": {**e.get("extensions", {}), "code": code}} for e in errors
        ]
        self.status = status
        self.headers = dict(headers or {})

    @classmethod
    def single(cls, code: str, message: str, status: int = 400, **kwargs: Any) -> RequestError:
        """A request error with one message."""
        return cls(code, [{"message": message}], status, **kwargs)

    @classmethod
    def from_graphql(cls, code: str, errors: Collection[GraphQLError]) -> RequestError:
        """Keep graphql-core's readable messages and locations."""
        return cls(code, [_without_path(error.formatted) for error in errors])


def _without_path(formatted: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in formatted.items() if key != "path"}
