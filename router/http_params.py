"""Read GraphQL-over-HTTP request parameters from a POST body or a GET query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import QueryParams


class BadRequest(Exception):
    """The HTTP request is not a well-formed GraphQL request (answered ``status``, 400 unless
    said otherwise, with ``BAD_REQUEST``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    """The ``query``, ``variables``, ``operationName``, ``extensions`` and ``documentId`` of
    one request; ``query`` may be missing when a persisted document is named instead."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    document_id: str | None = None


# A GET with any of these is a GraphQL request (not a browser asking for GraphiQL).
GET_REQUEST_PARAMETERS = ("query", "extensions", "documentId")


def is_graphql_get(params: QueryParams) -> bool:
    return any(name in params for name in GET_REQUEST_PARAMETERS)


def params_from_body(body: bytes) -> GraphQLParams:
    """Parameters of a POST whose body must be a JSON object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest("The request body is not valid JSON") from error
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object")
    return params_from_payload(payload)


def params_from_query_string(params: QueryParams) -> GraphQLParams:
    """Parameters of a GET; ``variables`` and ``extensions`` are JSON-encoded strings."""
    payload: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName") or None,
        "documentId": params.get("documentId") or None,
    }
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                payload[name] = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise BadRequest(f"The {name} parameter is not valid JSON") from error
    return params_from_payload(payload)


def params_from_payload(payload: dict[str, Any]) -> GraphQLParams:
    """Parameters of a decoded request object (a JSON body, a multipart request's
    ``operations``)."""
    query = payload.get("query")
    if query is not None and not isinstance(query, str):
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
    document_id = payload.get("documentId")
    if document_id is not None and not isinstance(document_id, str):
        raise BadRequest("documentId must be a string")
    if query is None and document_id is None and "persistedQuery" not in (extensions or {}):
        raise BadRequest("The request has no query")
    return GraphQLParams(query, variables, operation_name, extensions, document_id)
