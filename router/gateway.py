"""The gateway: supergraph + transports + caches, executing GraphQL requests without HTTP.

A request passes the stages of ``router.pipeline`` in order; this module only chains them.
``Gateway.execute`` is what tests and benchmarks call; the ASGI app calls
``execute_request`` to also learn the HTTP status a request error maps to.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from graphql import OperationType

from router.caller import Caller, Grants, caller_from, grants_of
from router.composition import Supergraph
from router.execution import Transport, reads_one_snapshot
from router.limits import OperationLimits
from router.observer import GatewayObserver, Lookup, RequestRecord, error_codes, observed
from router.persisted import PersistedOperations
from router.pipeline.authorization import GuardCache, authorize
from router.pipeline.cost import OperationCosts, check_cost_limit
from router.pipeline.document import DocumentCache
from router.pipeline.errors import RequestError
from router.pipeline.execute import PlanRunner, executed
from router.pipeline.operation import EVERY_KIND, allowed_operation, selected_operation
from router.pipeline.persisted import named_document
from router.pipeline.plan import PlanCache
from router.pipeline.query_plan import PlanAccess, shows_plan, with_plan
from router.pipeline.response_cache import CachingStage
from router.pipeline.results import GatewayResult, Prepared, SubscriptionStream
from router.pipeline.variables import check_variable_limits, coerced_variables
from router.planning import document_hash, root_response_keys
from router.planning.cache import OperationKey
from router.references import EntityPresence
from router.response_cache import ResponseCache
from router.response_cache.hints import CacheHint
from router.telemetry import name_operation, span

__all__ = [
    "Gateway",
    "GatewayResult",
    "MutationAdmission",
    "Prepared",
    "RequestError",
    "SubscriptionStream",
    "selected_operation",
]

DEFAULT_ALLOWED_OPERATIONS = ("query", "mutation")

# Called with the request context and the number of root fields before a mutation executes;
# refuses it by raising RequestError (the server charges its rate limit per root field).
MutationAdmission = Callable[[object, int], Awaitable[None]]


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
        admit_mutation: MutationAdmission | None = None,
        plan_access: PlanAccess | None = None,
        override_labels: Collection[str] = (),
        observer: GatewayObserver | None = None,
    ) -> None:
        """``persisted`` resolves APQ hashes and trusted document ids (freeform text only
        without it); ``response_cache`` caches whole query responses under ``cache_hints``.
        Both judge a request by the principal its context carries (router.caller).
        ``admit_mutation`` may refuse a mutation, knowing its root fields, before anything
        of it executes. ``plan_access`` says which callers get the query plan in
        ``extensions`` when they ask for it (router.pipeline.query_plan; nobody without it).
        ``override_labels`` turns on the progressive ``@override`` labels of those names
        (``percent(N)`` labels are drawn per request). ``observer`` hears of every request
        and every subgraph fetch (router.observer: metrics)."""
        missing = sorted(set(supergraph.subgraphs) - set(transports))
        if missing:
            raise ValueError(f"No transport for subgraph(s): {', '.join(missing)}")
        self.supergraph = supergraph
        self.observer = observer
        self.transports = (
            dict(transports)
            if observer is None
            else {name: observed(t, name, observer) for name, t in transports.items()}
        )
        # Which ids name an entity, asked of its owner (for subgraphs that store references).
        self.entity_presence = EntityPresence(supergraph, self.transports)
        self.limits = limits or OperationLimits()
        version = supergraph.version
        self.documents = DocumentCache(supergraph.schema, version, self.limits, document_cache_size)
        self.operations = GuardCache(supergraph, plan_cache_size)
        self.plans = PlanCache(supergraph, plan_cache_size, enabled_labels=override_labels)
        self.costs = OperationCosts(plan_cache_size)
        self.runner = PlanRunner(supergraph, self.transports, self.limits)
        self.persisted = persisted
        self.response_cache = response_cache
        self.caching = (
            CachingStage(response_cache, cache_hints or {}, version, plan_cache_size)
            if response_cache is not None
            else None
        )
        self.judges_callers = persisted is not None or response_cache is not None
        self.admit_mutation = admit_mutation
        self.plan_access = plan_access

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
        observer = self.observer
        started = time.perf_counter() if observer is not None else 0.0
        caller = caller_from(context) if self.judges_callers else None
        try:
            query_text, digest = await named_document(
                self.persisted,
                query,
                extensions,
                document_id,
                context,
                caller,
                self.documents.holds,
            )
            prepared = self.prepare(
                query_text,
                variables,
                operation_name,
                allowed_operations,
                grants_of(context),
                digest=digest,
            )
            operation = prepared.operation
            if self.admit_mutation is not None and operation.kind == OperationType.MUTATION:
                await self.admit_mutation(context, len(root_response_keys(operation)))
            if operation.kind == OperationType.QUERY:
                reads_one_snapshot(context)
        except RequestError as error:
            refused = GatewayResult({"errors": error.errors}, error.status, error.headers)
            if observer is not None:
                observer.request_finished(
                    RequestRecord(
                        None,
                        None,
                        executed=False,
                        has_data=False,
                        error_codes=error_codes(refused.body),
                        seconds=time.perf_counter() - started,
                        apq=_apq_lookup(query, extensions, refused.body),
                    )
                )
            return refused
        result, cached = await self._run(
            prepared, digest, operation_name, variables, context, caller
        )
        if await shows_plan(context, self.plan_access):
            result = replace(result, body=with_plan(result.body, prepared.plan))
        if observer is not None:
            body = result.body
            observer.request_finished(
                RequestRecord(
                    operation.name,
                    operation.kind.value,
                    executed=True,
                    has_data=body.get("data") is not None,
                    error_codes=error_codes(body),
                    seconds=time.perf_counter() - started,
                    response_cache=cached,
                    apq=_apq_lookup(query, extensions, body),
                )
            )
        return result

    async def _run(
        self,
        prepared: Prepared,
        digest: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        context: object,
        caller: Caller | None,
    ) -> tuple[GatewayResult, Lookup]:
        """Execute a prepared request, through the response cache when there is one; also
        how its cache lookup went (``None``: not cacheable, or no cache)."""
        caching = self.caching
        if caching is None or caller is None:
            with span("graphql.execute"):
                return executed(await self.runner.run(prepared, variables, context)), None
        lookup = await caching.lookup(caller, prepared, digest, operation_name, variables)
        if lookup.body is not None:
            return GatewayResult(lookup.body, cache_policy=lookup.policy), "hit"
        with span("graphql.execute"):
            body = await self.runner.run(prepared, variables, context)
        await caching.settle(lookup, caller, prepared, body)
        if lookup.key is None:
            return executed(body), None
        return executed(body, lookup.policy), "miss"

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
        also enforces the caller's safelist."""
        prepared = self.prepare(
            query, variables, operation_name, ("subscription",), grants_of(context)
        )
        events = self.runner.events(prepared, dict(variables or {}), context)
        return SubscriptionStream(prepared.operation, events)

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
        caller = caller_from(context) if self.judges_callers else None
        text, _ = await named_document(
            self.persisted, query, extensions, document_id, context, caller, _never_known
        )
        assert text is not None  # nothing is taken as known
        return text

    def check_document(self, query: str) -> list[str]:
        """Why ``query`` could not run here (parse, limits, validation); empty when it can.
        Used to validate persisted-operation manifests against the current schema."""
        return self.documents.problems(query)

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
        limits = self.limits
        check_variable_limits(variables, limits)
        if digest is None:
            if query is None:
                raise RequestError.single("BAD_REQUEST", "The request has no query")
            digest = document_hash(query)
        schema = self.supergraph.schema
        with span("graphql.validate"):  # parse and validate (or find both in the cache)
            document = self.documents.valid(query, digest)
        operation = allowed_operation(document, operation_name, allowed_operations)
        name_operation(operation)
        coerced = coerced_variables(schema, operation, variables, limits)
        operation_key: OperationKey = (digest, operation_name, self.supergraph.version)
        check_cost_limit(
            schema,
            document,
            operation,
            coerced,
            limits,
            self.supergraph.cost,
            costs=self.costs,
            key=operation_key,
        )
        guarded = self.operations.guarded(operation_key, document, operation_name)
        authorized = authorize(self.supergraph, guarded, grants)
        with span("graphql.plan"):
            query_plan = self.plans.plan((*operation_key, authorized.denied), authorized.operation)
        return Prepared(query_plan, guarded.operation, coerced, authorized.errors)

    def operation_type(self, query: str, operation_name: str | None) -> str:
        """``query``, ``mutation`` or ``subscription``: what the named operation is (the
        document parsed and validated through the cache; RequestError when it is not valid)."""
        if not isinstance(query, str):
            raise RequestError.single("BAD_REQUEST", "The query must be a string")
        document = self.documents.valid(query, document_hash(query))
        return allowed_operation(document, operation_name, EVERY_KIND).operation.value


def _never_known(digest: str) -> bool:
    return False


def _apq_lookup(
    query: str | None, extensions: Mapping[str, Any] | None, body: dict[str, Any]
) -> Lookup:
    """An APQ hash sent without its text: ``hit`` when the document was found, ``miss``
    when the answer asks for the text (PERSISTED_QUERY_NOT_FOUND); otherwise no lookup."""
    if query is not None or not isinstance(extensions, Mapping):
        return None
    if not isinstance(extensions.get("persistedQuery"), Mapping):
        return None
    return "miss" if "PERSISTED_QUERY_NOT_FOUND" in error_codes(body) else "hit"
