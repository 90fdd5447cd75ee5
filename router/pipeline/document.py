"""Stage 2: parse (token-capped), check the operations' shape against the limits, validate —
in that order, so that an oversized or bomb-shaped document never reaches validation. The
outcome, errors included, is cached by document hash and supergraph version."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    NoSchemaIntrospectionCustomRule,
    parse,
    specified_rules,
    validate,
)

from router.limits import OperationLimits, check_shape, parse_failure_code
from router.pipeline.errors import RequestError
from router.planning import LruCache
from router.planning.cache import DocumentKey


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A parsed document and why it cannot run (``errors``, all of one ``code``)."""

    document: DocumentNode
    errors: tuple[GraphQLError, ...]
    code: str = "GRAPHQL_VALIDATION_FAILED"


def validation_rules(limits: OperationLimits) -> tuple[type[ASTValidationRule], ...]:
    """GraphQL's rules, and no introspection where the limits hide the schema."""
    hidden = () if limits.introspection else (NoSchemaIntrospectionCustomRule,)
    return (*specified_rules, *hidden)


class DocumentCache(LruCache[DocumentKey, CheckedDocument]):
    """Checked documents of one supergraph (``schema`` at ``version``) under ``limits``."""

    def __init__(
        self, schema: GraphQLSchema, version: str, limits: OperationLimits, capacity: int
    ) -> None:
        super().__init__(capacity)
        self.schema = schema
        self.version = version
        self.limits = limits
        self.rules = validation_rules(limits)

    def holds(self, digest: str) -> bool:
        """Whether the document with this hash is cached (it need not be fetched again)."""
        return self.get((digest, self.version)) is not None

    def valid(self, query: str | None, digest: str) -> DocumentNode:
        """The valid document (``query`` may be ``None`` when it is cached); RequestError
        with the document's errors otherwise."""
        key = (digest, self.version)
        checked = self.get(key)
        if checked is None:
            if query is None:  # evicted between resolving and here: the client retries
                raise RequestError.single(
                    "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", status=404
                )
            checked = self.check(query)
            self.put(key, checked)
        if checked.errors:
            raise RequestError.from_graphql(checked.code, checked.errors)
        return checked.document

    def problems(self, query: str) -> list[str]:
        """Why ``query`` could not run here (parse, limits, validation); empty when it can.
        Nothing is cached."""
        try:
            checked = self.check(query)
        except RequestError as error:
            return [e["message"] for e in error.errors]
        return [error.message for error in checked.errors]

    def check(self, query: str) -> CheckedDocument:
        """Parse, shape, validate; RequestError when the text does not parse."""
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLSyntaxError as error:
            raise RequestError.from_graphql(parse_failure_code(error), [error]) from error
        shape = check_shape(document, self.limits)
        if shape:
            return CheckedDocument(document, tuple(shape), (shape[0].extensions or {})["code"])
        errors = validate(
            self.schema, document, self.rules, hide_suggestions=not self.limits.suggestions
        )
        return CheckedDocument(document, tuple(errors))
