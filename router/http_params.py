"""Read GraphQL-over-HTTP request parameters from a POST body or a GET query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import QueryParams


class BadRequest(Exception):
    """The HTTP request is not a well-formed GraphQL request (answered 400 ``BAD_REQUEST``)."""


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    """The ``query``, ``variables``, ``operationName`` and ``extensions`` of one request."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def params_from_body(body: bytes) -> GraphQLParams:
    """Parameters of a POST whose body must be a JSON object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest("The request body is not valid JSON") from error
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object")
    return _params(payload)


def params_from_query_string(params: QueryParams) -> GraphQLParams:
    """Parameters of a GET; ``variables`` and ``extensions`` are JSON-encoded strings."""
    payload: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName") or None,
    }
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                payload[name] = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise BadRequest(f"The {name} parameter is not valid JSON") from error
    return _params(payload)


def _params(payload: dict[str, Any]) -> GraphQLParams:
    query = payload.get("query")
    if query is None:
        raise BadRequest("The request has no query")
    if not isinstance(query, str):
        raise BadRequest("The query must be a string")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("Variables must be a JSON object")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("operationName must be a string")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadRequest("Extensions must be a JSON object")
    return GraphQLParams(query, variables, operation_name, extensions)
