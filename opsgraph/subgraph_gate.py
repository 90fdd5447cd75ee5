"""What a stand-alone subgraph checks before Strawberry runs a request.

`opsgraph subgraph NAME` is reachable by whoever reaches its port, so it holds a request to
what the router would: the token, depth, alias and directive limits on the raw document,
validation (without introspection in production), variables, then the cost — the router's
own functions (router/limits.py), codes and HTTP statuses, from the same settings — and
in production no "did you mean" hint in any message.

`_entities` and `_service` answer only the router (opsgraph/router_secret.py). A document
naming either field anywhere — under an alias, in a fragment, in another operation — needs
the router's secret: the names are reserved by Federation for the query root, so any use of
them is a call, and scanning the whole document is linear and needs no fragment expansion.
Without a configured secret (development only: production refuses to start) they stay open.

The router's own fetches, recognised by its secret, are not held to the limits again: they
derive from an operation the router already limited, and expanding the client's fragments
may make them longer than the client's text. Its SDL fetch carries no caller's token: where
a request without a token would be refused (production), the router's is let through as a
principal of no tenant and no role, which may read `_service` and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    Visitor,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.execution.values import get_variable_values

from opsgraph.auth.principals import Refused
from opsgraph.request_auth import PrincipalSource
from opsgraph.router_secret import ROUTER_SECRET_HEADER, from_router
from resolvers.principal import Principal
from router.gateway import RequestError, selected_operation
from router.limits import (
    OperationLimits,
    check_cost,
    check_shape,
    check_variables,
    parse_failure_code,
    without_suggestions,
)
from router.planning.cache import LruCache, document_hash

ROUTER_ONLY_FIELDS = frozenset({"_entities", "_service"})
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
NO_TENANT = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class _Document:
    """What is known of a document's text whatever the variables: its parse, limit or
    validation errors (with their code) and whether it names a router-only field."""

    document: DocumentNode | None
    code: str = VALIDATION_FAILED
    errors: tuple[GraphQLError, ...] = ()
    router_only: bool = False


class _RouterOnlyField(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if node.name.value in ROUTER_ONLY_FIELDS:
            self.found = True
            return BREAK
        return None


class SubgraphGate:
    """Refuses (raising the router's RequestError) what the router would refuse."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: OperationLimits,
        secret: str | None,
        *,
        document_cache_size: int = 512,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.secret = secret
        self.rules = [*specified_rules] + (
            [] if limits.introspection else [NoSchemaIntrospectionCustomRule]
        )
        self.documents: LruCache[str, _Document] = LruCache(document_cache_size)

    def check(
        self,
        query: object,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        headers: Mapping[str, str],
    ) -> None:
        """Raise RequestError unless the request may run. A request without a query text
        is left to Strawberry, which refuses it."""
        if not isinstance(query, str) or from_router(headers, self.secret):
            return
        checked = self._document(query)
        if checked.document is None or checked.code != VALIDATION_FAILED:
            raise RequestError.from_graphql(checked.code, self.public(checked.errors))
        if checked.router_only and self.secret is not None:
            raise RequestError.single(
                "FORBIDDEN",
                "_entities and _service answer only the router: this request does not carry "
                f"the router's secret ({ROUTER_SECRET_HEADER})",
                status=403,
            )
        if checked.errors:
            raise RequestError.from_graphql(VALIDATION_FAILED, self.public(checked.errors))
        operation = selected_operation(checked.document, operation_name)
        too_large = check_variables(variables or {}, self.limits)
        if too_large:
            raise RequestError.from_graphql(str((too_large[0].extensions or {})["code"]), too_large)
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(coerced, list):
            raise RequestError.from_graphql("BAD_USER_INPUT", self.public(coerced))
        too_costly = check_cost(
            self.schema, checked.document, operation, coerced.coerced, self.limits
        )
        if too_costly:
            raise RequestError.from_graphql("MAX_COST_LIMIT", too_costly)

    def operation(
        self, query: object, operation_name: str | None
    ) -> tuple[DocumentNode, OperationDefinitionNode]:
        """The document and the operation it selects, whoever asks (RequestError when the
        text does not parse, validate or name one): what kind of operation a request is
        decides how it is served (a subscription streams)."""
        if not isinstance(query, str):
            raise RequestError.single("BAD_REQUEST", "The request has no query")
        checked = self._document(query)
        if checked.document is None or checked.errors:
            raise RequestError.from_graphql(checked.code, self.public(checked.errors))
        return checked.document, selected_operation(checked.document, operation_name)

    def public(self, errors: Sequence[GraphQLError]) -> list[GraphQLError]:
        """The errors as a client may see them: without hints in production."""
        if self.limits.suggestions:
            return list(errors)
        return [
            GraphQLError(
                without_suggestions(e.message),
                e.nodes,
                e.source,
                e.positions,
                e.path,
                e.original_error,
                e.extensions,
            )
            for e in errors
        ]

    def _document(self, query: str) -> _Document:
        digest = document_hash(query)
        checked = self.documents.get(digest)
        if checked is None:
            checked = self._parse_and_validate(query)
            self.documents.put(digest, checked)
        return checked

    def _parse_and_validate(self, query: str) -> _Document:
        """Token-capped parse, shape, then validation — the router's order, so that an
        oversized or bomb-shaped document never reaches validation."""
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLSyntaxError as error:
            return _Document(None, parse_failure_code(error), (error,))
        shape = check_shape(document, self.limits)
        if shape:
            return _Document(document, (shape[0].extensions or {})["code"], tuple(shape))
        finder = _RouterOnlyField()
        visit(document, finder)
        errors = validate(self.schema, document, self.rules)
        return _Document(document, VALIDATION_FAILED, tuple(errors), finder.found)


class RouterAwareAuthenticator:
    """The subgraph's authenticator, except for the router's own requests without a caller
    (its SDL fetch): those get a principal that may read nothing of any tenant."""

    def __init__(self, authenticator: PrincipalSource, secret: str | None) -> None:
        self.authenticator = authenticator
        self.secret = secret

    async def principal(self, headers: Mapping[str, str]) -> Principal:
        try:
            return await self.authenticator.principal(headers)
        except Refused:
            if "authorization" in headers or not from_router(headers, self.secret):
                raise
            return Principal(tenant_id=NO_TENANT)
