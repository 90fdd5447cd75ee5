"""The gateway: supergraph + transports + caches, executing GraphQL requests without HTTP.

``Gateway.execute`` is what tests and benchmarks call; the ASGI app calls
``execute_request`` to also learn the HTTP status a request error maps to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values

from router.access import Grants, denial_errors, grants_of
from router.composition import Supergraph
from router.execution import PlanExecution, Transport, shape_response
from router.execution.subscription import subscription_executions
from router.execution.transport import EventScoped
from router.limits import OperationLimits, check_cost, check_shape, without_suggestions
from router.planning import (
    GuardedOperation,
    LruCache,
    NormalizedOperation,
    PlanningError,
    QueryPlan,
    document_hash,
    guard,
    plan_operation,
    prune,
    select_operation,
)
from router.planning.cache import DocumentKey, OperationKey, PlanKey

DEFAULT_ALLOWED_OPERATIONS = ("query", "mutation")


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """A GraphQL response body plus the HTTP status (and headers) it maps to."""

    body: dict[str, Any]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SubscriptionStream:
    """A subscription that passed every check: its operation and its response bodies."""

    operation: NormalizedOperation
    events: AsyncIterator[dict[str, Any]]


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request ready to execute: its plan, the client's whole operation (the response is
    shaped from it, so pruned fields come back null), coerced variables and the errors for
    what authorization pruned."""

    plan: QueryPlan
    operation: NormalizedOperation
    variables: dict[str, Any]
    errors: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class _Document:
    document: DocumentNode
    errors: tuple[GraphQLError, ...]
    code: str = "GRAPHQL_VALIDATION_FAILED"


class Gateway:
    """Executes client operations against a supergraph through per-subgraph transports."""

    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        document_cache_size: int = 1000,
        plan_cache_size: int = 1000,
        limits: OperationLimits | None = None,
    ) -> None:
        missing = sorted(set(supergraph.subgraphs) - set(transports))
        if missing:
            raise ValueError(f"No transport for subgraph(s): {', '.join(missing)}")
        self.supergraph = supergraph
        self.transports = dict(transports)
        self.limits = limits or OperationLimits()
        self.rules = [*specified_rules] + (
            [] if self.limits.introspection else [NoSchemaIntrospectionCustomRule]
        )
        self.documents: LruCache[DocumentKey, _Document] = LruCache(document_cache_size)
        self.operations: LruCache[OperationKey, GuardedOperation] = LruCache(plan_cache_size)
        self.plans: LruCache[PlanKey, QueryPlan] = LruCache(plan_cache_size)

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
        *,
        allowed_operations: Collection[str] = DEFAULT_ALLOWED_OPERATIONS,
    ) -> dict[str, Any]:
        """Run one GraphQL request and return the response body (``data``/``errors``)."""
        result = await self.execute_request(
            query, variables, operation_name, context, allowed_operations=allowed_operations
        )
        return result.body

    async def execute_request(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
        *,
        allowed_operations: Collection[str] = DEFAULT_ALLOWED_OPERATIONS,
    ) -> GatewayResult:
        """Like :meth:`execute`, also telling the HTTP status a request error maps to."""
        try:
            prepared = self.prepare(
                query, variables, operation_name, allowed_operations, grants_of(context)
            )
        except RequestError as error:
            return GatewayResult({"errors": error.errors}, error.status, error.headers)
        execution = PlanExecution(
            self.supergraph.schema, self.transports, dict(variables or {}), context
        )
        await execution.run(prepared.plan.node)
        return GatewayResult(self._body(prepared, execution))

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> SubscriptionStream:
        """The response bodies of a subscription, one per event.

        Everything that can refuse the operation (parse, limits, validation, variables, plan)
        raises :class:`RequestError` here, before the stream starts. A context that is
        :class:`EventScoped` is told when each event's response is complete."""
        prepared = self.prepare(
            query, variables, operation_name, ("subscription",), grants_of(context)
        )
        return SubscriptionStream(
            prepared.operation, self._events(prepared, dict(variables or {}), context)
        )

    async def _events(
        self, prepared: Prepared, variables: dict[str, Any], context: object
    ) -> AsyncIterator[dict[str, Any]]:
        executions = subscription_executions(
            self.supergraph.schema, self.transports, prepared.plan.node, variables, context
        )
        async for execution in executions:
            body = self._body(prepared, execution)
            if isinstance(context, EventScoped):
                await context.end_event()
            yield body

    def _body(self, prepared: Prepared, execution: PlanExecution) -> dict[str, Any]:
        errors = [*prepared.errors, *execution.errors]
        data = shape_response(
            self.supergraph.schema, prepared.operation, execution.data, prepared.variables, errors
        )
        body: dict[str, Any] = {"errors": errors} if errors else {}
        body["data"] = data
        return body

    def prepare(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        allowed_operations: Collection[str] = DEFAULT_ALLOWED_OPERATIONS,
        grants: Grants | None = None,
    ) -> Prepared:
        """Parse, validate, select the operation, coerce variables, prune what ``grants`` may
        not select (``None``: nothing) and plan; all but the pruning decision are cached.

        Raises :class:`RequestError` for anything that stops the request before execution.
        """
        if not isinstance(query, str):
            raise RequestError.single("BAD_REQUEST", "The query must be a string")
        if variables is not None and not isinstance(variables, Mapping):
            raise RequestError.single("BAD_REQUEST", "Variables must be an object")
        version = self.supergraph.version
        digest = document_hash(query)
        document = self._document(query, digest, version)
        operation = self._operation(document.document, operation_name, allowed_operations)
        coerced = get_variable_values(
            self.supergraph.schema, operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(coerced, list):
            raise RequestError.from_graphql("BAD_USER_INPUT", coerced)
        too_costly = check_cost(
            self.supergraph.schema, document.document, operation, coerced.coerced, self.limits
        )
        if too_costly:
            raise RequestError.from_graphql("MAX_COST_LIMIT", too_costly)
        operation_key: OperationKey = (digest, operation_name, version)
        guarded = self.operations.get(operation_key)
        if guarded is None:
            try:
                selected = select_operation(self.supergraph, document.document, operation_name)
            except PlanningError as error:
                raise RequestError.single(error.code, error.message) from error
            guarded = guard(self.supergraph, selected)
            self.operations.put(operation_key, guarded)
        denied = () if grants is None else guarded.denied(grants.authenticated, grants.permissions)
        full = guarded.operation
        pruned, removed = (full, ()) if not denied else prune(self.supergraph, full, denied)
        plan_key: PlanKey = (*operation_key, denied)
        query_plan = self.plans.get(plan_key)
        if query_plan is None:
            try:
                query_plan = plan_operation(self.supergraph, pruned)
            except PlanningError as error:
                raise RequestError.single(error.code, error.message) from error
            self.plans.put(plan_key, query_plan)
        errors = denial_errors(removed, self.supergraph.access, grants) if grants else []
        return Prepared(query_plan, full, coerced.coerced, tuple(errors))

    def operation_type(self, query: str, operation_name: str | None) -> str:
        """``query``, ``mutation`` or ``subscription``: what the named operation is (the
        document parsed and validated through the cache; RequestError when it is not valid)."""
        if not isinstance(query, str):
            raise RequestError.single("BAD_REQUEST", "The query must be a string")
        document = self._document(query, document_hash(query), self.supergraph.version)
        allowed = ("query", "mutation", "subscription")
        return self._operation(document.document, operation_name, allowed).operation.value

    def _document(self, query: str, digest: str, version: str) -> _Document:
        cached = self.documents.get((digest, version))
        if cached is None:
            cached = self._parse_and_validate(query)
            self.documents.put((digest, version), cached)
        if cached.errors:
            raise RequestError.from_graphql(cached.code, cached.errors)
        return cached

    def _parse_and_validate(self, query: str) -> _Document:
        """Parse (token-capped), check the operations' shape, then validate — in that order,
        so that an oversized or bomb-shaped document never reaches validation."""
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLSyntaxError as error:
            too_long = "tokens. Parsing aborted" in error.message
            code = "MAX_TOKENS_LIMIT" if too_long else "GRAPHQL_PARSE_FAILED"
            raise RequestError.from_graphql(code, [error]) from error
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                shape = check_shape(document, definition, self.limits)
                if shape:
                    return _Document(document, tuple(shape), (shape[0].extensions or {})["code"])
        errors = validate(self.supergraph.schema, document, self.rules)
        if not self.limits.suggestions:
            errors = [
                GraphQLError(without_suggestions(e.message), e.nodes, extensions=e.extensions)
                for e in errors
            ]
        return _Document(document, tuple(errors))

    @staticmethod
    def _operation(
        document: DocumentNode, operation_name: str | None, allowed: Collection[str]
    ) -> OperationDefinitionNode:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f'Unknown operation named "{operation_name}".'
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            raise RequestError.single("BAD_REQUEST", message)
        kind = operation.operation.value
        if kind not in allowed:
            if kind == "mutation":
                # GraphQL over HTTP: a mutation over GET is a method problem, answered with 405.
                raise RequestError.single(
                    "BAD_REQUEST",
                    "Mutations can only be sent with POST",
                    status=405,
                    headers={"Allow": "POST"},
                )
            raise RequestError.single(
                "BAD_REQUEST", f"{kind.capitalize()} operations are not supported here"
            )
        return operation


def _without_path(formatted: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in formatted.items() if key != "path"}
