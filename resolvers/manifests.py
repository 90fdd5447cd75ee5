"""Persisted-operation manifests in the formats clients already produce, read the same way by
`opsgraph persisted register` and by the `registerPersistedOperations` mutation.

- Apollo (``generate-persisted-query-manifest``)::

      {"format": "apollo-persisted-query-manifest", "version": 1,
       "operations": [{"id": "...", "name": "...", "type": "query", "body": "..."}]}

- Relay (``persisted-queries.json``): ``{"<id>": "<document text>", ...}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ASTValidationRule, GraphQLSchema, GraphQLSyntaxError, parse, validate

APOLLO_FORMAT = "apollo-persisted-query-manifest"
MAX_ID_LENGTH = 200


class ManifestError(ValueError):
    """The file is not a manifest in a known format; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    document_id: str
    body: str

    @property
    def sha256(self) -> str:
        """The text's SHA-256: what APQ hashes name it by (the router's ``document_hash``)."""
        return hashlib.sha256(self.body.encode()).hexdigest()


def parse_manifest(raw: bytes | str) -> list[ManifestOperation]:
    """The operations of an Apollo or Relay manifest (format told apart by its shape)."""
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ManifestError("a manifest is a JSON object")
    pairs = _apollo(data) if "format" in data else list(data.items())
    operations: list[ManifestOperation] = []
    seen: set[str] = set()
    for document_id, body in pairs:
        if not isinstance(document_id, str) or not 0 < len(document_id) <= MAX_ID_LENGTH:
            raise ManifestError(f"operation id {document_id!r} must be 1-{MAX_ID_LENGTH} chars")
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(f"operation {document_id!r} has no document text")
        if document_id in seen:
            raise ManifestError(f"operation id {document_id!r} appears twice")
        seen.add(document_id)
        operations.append(ManifestOperation(document_id, body))
    if not operations:
        raise ManifestError("the manifest lists no operations")
    return operations


def _apollo(data: dict[str, Any]) -> list[tuple[Any, Any]]:
    if data.get("format") != APOLLO_FORMAT or data.get("version") != 1:
        raise ManifestError(f'expected "format": "{APOLLO_FORMAT}" with "version": 1')
    operations = data.get("operations")
    if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
        raise ManifestError('"operations" must be a list of objects')
    return [(operation.get("id"), operation.get("body")) for operation in operations]


DocumentCheck = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class ApiSchema:
    """The composed API schema and the rules a document must pass to run on it, handed down
    as data by the process that composed it (a subgraph cannot see the supergraph): parse
    with at most ``max_tokens`` tokens, then ``limit_rules`` (the operation limits; a document
    over one is not validated further), then ``rules``."""

    schema: GraphQLSchema
    max_tokens: int
    limit_rules: tuple[type[ASTValidationRule], ...]
    rules: tuple[type[ASTValidationRule], ...]
    hide_suggestions: bool = False


def document_problems(api: ApiSchema, text: str) -> list[str]:
    """Why the document ``text`` could not run against ``api`` (empty when it can): the
    router's own check of a request's document, done with graphql-core alone."""
    try:
        document = parse(text, max_tokens=api.max_tokens)
    except GraphQLSyntaxError as error:
        return [error.message]
    errors = validate(api.schema, document, api.limit_rules) or validate(
        api.schema, document, api.rules, hide_suggestions=api.hide_suggestions
    )
    return [error.message for error in errors]


def manifest_problems(
    operations: Iterable[ManifestOperation], check: DocumentCheck
) -> dict[str, list[str]]:
    """Each operation that does not pass ``check`` (parse + validate against the current
    schema), with its error messages; empty when all pass."""
    problems: dict[str, list[str]] = {}
    for operation in operations:
        errors = check(operation.body)
        if errors:
            problems[operation.document_id] = errors
    return problems
