"""The gateway: supergraph + transports + caches, executing GraphQL requests without HTTP.

``Gateway.execute`` is what tests and benchmarks call; the ASGI app calls
``execute_request`` to also learn the HTTP status a request error maps to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values

from router.access import Grants, denial_errors, grants_of
from router.caching import CachePolicy, ResponseCache, entities_in, policy_for
from router.caching.hints import CacheHint
from router.caching.tags import change_tags, entry_tags, subgraph_tags
from router.caller import Caller, CallerOf
from router.composition import Supergraph
from router.execution import PlanExecution, Transport, shape_response
from router.execution.errors import is_unavailable, unavailable_headers
from router.execution.subscription import subscription_executions
from router.execution.transport import EventScoped
from router.limits import (
    OperationLimits,
    check_cost,
    check_shape,
    check_variables,
    parse_failure_code,
    without_suggestions,
)
from router.persisted import PersistedOperations, PersistedQueryError
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
    root_response_keys,
    select_operation,
)
from router.planning.cache import DocumentKey, OperationKey, PlanKey
from router.references import EntityPresence

DEFAULT_ALLOWED_OPERATIONS = ("query", "mutation")

# Called with the request context and the number of root fields before a mutation executes;
# refuses it by raising RequestError (the server charges its rate limit per root field).
MutationAdmission = Callable[[object, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """A GraphQL response body plus the HTTP status (and headers) it maps to."""

    body: dict[str, Any]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    cache_policy: CachePolicy | None = None  # set for queries the response cache judged


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
        persisted: PersistedOperations | None = None,
        response_cache: ResponseCache | None = None,
        cache_hints: Mapping[str, CacheHint] | None = None,
        caller_of: CallerOf | None = None,
        admit_mutation: MutationAdmission | None = None,
    ) -> None:
        """``persisted`` resolves APQ hashes and trusted document ids (freeform text only
        without it); ``response_cache`` caches whole query responses under ``cache_hints``.
        Both need ``caller_of``: who a request context speaks for. ``admit_mutation`` may
        refuse a mutation, knowing its root fields, before anything of it executes."""
        missing = sorted(set(supergraph.subgraphs) - set(transports))
        if missing:
            raise ValueError(f"No transport for subgraph(s): {', '.join(missing)}")
        self.supergraph = supergraph
        self.transports = dict(transports)
        # Which ids name an entity, asked of its owner (for subgraphs that store references).
        self.entity_presence = EntityPresence(supergraph, self.transports)
        self.limits = limits or OperationLimits()
        self.rules = [*specified_rules] + (
            [] if self.limits.introspection else [NoSchemaIntrospectionCustomRule]
        )
        self.documents: LruCache[DocumentKey, _Document] = LruCache(document_cache_size)
        self.operations: LruCache[OperationKey, GuardedOperation] = LruCache(plan_cache_size)
        self.plans: LruCache[PlanKey, QueryPlan] = LruCache(plan_cache_size)
        self.policies: LruCache[OperationKey, CachePolicy] = LruCache(plan_cache_size)
        if (persisted is not None or response_cache is not None) and caller_of is None:
            raise ValueError("persisted operations and the response cache need caller_of")
        self.persisted = persisted
        self.response_cache = response_cache
        self.cache_hints = dict(cache_hints or {})
        self.caller_of = caller_of
        self.admit_mutation = admit_mutation

    async def execute(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
        *,
        allowed_operations: Collection[str] = DEFAULT_ALLOWED_OPERATIONS,
        extensions: Mapping[str, Any] | None = None,
        document_id: str | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL request and return the response body (``data``/``errors``)."""
        result = await self.execute_request(
            query,
            variables,
            operation_name,
            context,
            allowed_operations=allowed_operations,
            extensions=extensions,
            document_id=document_id,
        )
        return result.body

    async def execute_request(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
        *,
        allowed_operations: Collection[str] = DEFAULT_ALLOWED_OPERATIONS,
        extensions: Mapping[str, Any] | None = None,
        document_id: str | None = None,
    ) -> GatewayResult:
        """Like :meth:`execute`, also telling the HTTP status a request error maps to.

        ``extensions.persistedQuery`` (APQ) and ``document_id`` (trusted documents) name a
        persisted document instead of, or along with, the ``query`` text."""
        caller = self.caller_of(context) if self.caller_of is not None else None
        try:
            query, digest = await self._resolve(query, extensions, document_id, context, caller)
            prepared = self.prepare(
                query,
                variables,
                operation_name,
                allowed_operations,
                grants_of(context),
                digest=digest,
            )
            operation = prepared.operation
            if self.admit_mutation is not None and operation.kind == OperationType.MUTATION:
                await self.admit_mutation(context, len(root_response_keys(operation)))
        except RequestError as error:
            return GatewayResult({"errors": error.errors}, error.status, error.headers)
        cache = self.response_cache
        if cache is None or caller is None:
            return _result(await self._run(prepared, variables, context))
        version = self.supergraph.version
        policy = self._policy((digest, operation_name, version), prepared.operation)
        key = cache.key(caller, policy, digest, operation_name, variables, version)
        if key is not None:
            cached = await cache.get(key)
            if cached is not None:
                return GatewayResult(cached, cache_policy=policy)
        epoch = cache.epoch_of(caller.tenant)
        body = await self._run(prepared, variables, context)
        entities = entities_in(prepared.operation, body["data"])
        read_from = subgraph_tags(prepared.plan.subgraphs)
        if prepared.operation.kind == OperationType.MUTATION:
            # Before answering: the writer's next read must not be served the old value.
            tags = set(read_from)
            for entity in entities:
                tags |= change_tags(entity.type_name, entity.id)
            await cache.invalidate(caller.tenant, tags)
        elif key is not None and "errors" not in body:
            tags = entry_tags(entities) | read_from
            await cache.put(key, body, policy, caller.tenant, tags, epoch)
        return _result(body, policy if key is not None else None)

    async def _run(
        self, prepared: Prepared, variables: Mapping[str, Any] | None, context: object
    ) -> dict[str, Any]:
        execution = PlanExecution(
            self.supergraph.schema, self.transports, dict(variables or {}), context
        )
        await execution.run(prepared.plan.node)
        return self._body(prepared, execution)

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> SubscriptionStream:
        """The response bodies of a subscription, one per event.

        Everything that can refuse the operation (parse, limits, validation, variables, plan)
        raises :class:`RequestError` here, before the stream starts. ``query`` is text: a
        request naming a persisted document resolves it first (:meth:`document_text`), which
        also enforces the caller's safelist. A context that is
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
        if not self.limits.suggestions:
            # A subgraph's own hints (one newer than the composed schema, say) stay inside.
            errors = [{**e, "message": without_suggestions(e["message"])} for e in errors]
        data = shape_response(
            self.supergraph.schema, prepared.operation, execution.data, prepared.variables, errors
        )
        body: dict[str, Any] = {"errors": errors} if errors else {}
        body["data"] = data
        return body

    async def document_text(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        document_id: str | None,
        context: object,
    ) -> str:
        """The text of the document a request names (freeform, APQ hash, trusted document
        id), enforcing the caller's safelist exactly as :meth:`execute_request` does; raises
        :class:`RequestError`. For WebSocket operations: subscriptions are started (and
        shared) by their text, which is therefore always fetched, never taken as known."""
        caller = self.caller_of(context) if self.caller_of is not None else None
        text, _ = await self._resolve(
            query, extensions, document_id, context, caller, known=lambda digest: False
        )
        assert text is not None  # nothing is taken as known
        return text

    async def _resolve(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        document_id: str | None,
        context: object,
        caller: Caller | None,
        known: Callable[[str], bool] | None = None,
    ) -> tuple[str | None, str]:
        """The document's text (``None`` when ``known``: by default, when the gateway holds
        it parsed and validated) and its hash."""
        if query is not None and not isinstance(query, str):
            raise RequestError.single("BAD_REQUEST", "The query must be a string")
        if self.persisted is None:
            if query is None:
                raise RequestError.single("BAD_REQUEST", "The request has no query")
            return query, document_hash(query)
        version = self.supergraph.version

        def held(digest: str) -> bool:
            return self.documents.get((digest, version)) is not None

        try:
            resolved = await self.persisted.resolve(
                query, extensions, document_id, context, caller, known=known or held
            )
        except PersistedQueryError as error:
            raise RequestError.single(error.code, error.message, error.status) from error
        return resolved.text, resolved.digest

    def _policy(self, key: OperationKey, operation: NormalizedOperation) -> CachePolicy:
        policy = self.policies.get(key)
        if policy is None:
            policy = policy_for(operation, self.cache_hints)
            self.policies.put(key, policy)
        return policy

    def check_document(self, query: str) -> list[str]:
        """Why ``query`` could not run here (parse, limits, validation); empty when it can.
        Used to validate persisted-operation manifests against the current schema."""
        try:
            document = self._parse_and_validate(query)
        except RequestError as error:
            return [e["message"] for e in error.errors]
        return [error.message for error in document.errors]

    def prepare(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        allowed_operations: Collection[str] = DEFAULT_ALLOWED_OPERATIONS,
        grants: Grants | None = None,
        *,
        digest: str | None = None,
    ) -> Prepared:
        """Parse, validate, select the operation, coerce variables, prune what ``grants`` may
        not select (``None``: nothing) and plan; all but the pruning decision are cached.

        ``digest`` is the document's SHA-256 when known (persisted operations); the text may
        then be ``None`` if that document is cached. Raises :class:`RequestError` for
        anything that stops the request before execution.
        """
        if query is not None and not isinstance(query, str):
            raise RequestError.single("BAD_REQUEST", "The query must be a string")
        if variables is not None and not isinstance(variables, Mapping):
            raise RequestError.single("BAD_REQUEST", "Variables must be an object")
        too_large = check_variables(variables or {}, self.limits)
        if too_large:
            code = (too_large[0].extensions or {})["code"]
            raise RequestError.from_graphql(code, too_large)
        version = self.supergraph.version
        if digest is None:
            if query is None:
                raise RequestError.single("BAD_REQUEST", "The request has no query")
            digest = document_hash(query)
        document = self._document(query, digest, version)
        operation = self._operation(document.document, operation_name, allowed_operations)
        coerced = get_variable_values(
            self.supergraph.schema,
            operation.variable_definitions or (),
            dict(variables or {}),
            hide_suggestions=not self.limits.suggestions,
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

    def _document(self, query: str | None, digest: str, version: str) -> _Document:
        cached = self.documents.get((digest, version))
        if cached is None:
            if query is None:  # evicted between resolving and here: the client retries
                raise RequestError.single(
                    "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", status=404
                )
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
            raise RequestError.from_graphql(parse_failure_code(error), [error]) from error
        shape = check_shape(document, self.limits)
        if shape:
            return _Document(document, tuple(shape), (shape[0].extensions or {})["code"])
        errors = validate(
            self.supergraph.schema,
            document,
            self.rules,
            hide_suggestions=not self.limits.suggestions,
        )
        return _Document(document, tuple(errors))

    @staticmethod
    def _operation(
        document: DocumentNode, operation_name: str | None, allowed: Collection[str]
    ) -> OperationDefinitionNode:
        operation = selected_operation(document, operation_name)
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


def _result(body: dict[str, Any], cache_policy: CachePolicy | None = None) -> GatewayResult:
    """An executed request's result: HTTP 503 with Retry-After when its subgraphs could only
    say SERVICE_UNAVAILABLE (their database is down), else 200."""
    if is_unavailable(body):
        return GatewayResult(body, 503, unavailable_headers())
    return GatewayResult(body, cache_policy=cache_policy)


def selected_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode:
    """The operation a request names (or the document's only one); RequestError if none."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f'Unknown operation named "{operation_name}".'
            if operation_name
            else "Must provide operation name if query contains multiple operations."
        )
        raise RequestError.single("BAD_REQUEST", message)
    return operation


def _without_path(formatted: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in formatted.items() if key != "path"}
