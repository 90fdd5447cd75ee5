"""Stage 8: running a prepared request's plan through the transports and shaping the
response from the client's whole operation (pruned fields come back null); a subscription's
plan yields one response per event."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from router.composition import Supergraph
from router.execution import PlanExecution, Transport, shape_response
from router.execution.errors import is_unavailable, unavailable_headers
from router.execution.one_tree import OneTree, finish, one_tree
from router.execution.subscription import subscription_executions
from router.execution.transport import EventScoped
from router.limits import OperationLimits, without_suggestions
from router.pipeline.results import GatewayResult, Prepared
from router.planning import LruCache, QueryPlan
from router.response_cache import CachePolicy


class PlanRunner:
    """Runs plans of one supergraph through its transports."""

    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        limits: OperationLimits,
    ) -> None:
        self.schema = supergraph.schema
        self.supergraph_schema = supergraph.supergraph_schema
        self.transports = transports
        self.limits = limits
        # Per plan (by identity, the plan kept alive with it): how its responses finish
        # without shaping, or None when they are shaped.
        self._one_trees: LruCache[int, tuple[QueryPlan, OneTree | None]] = LruCache(1024)

    async def run(
        self, prepared: Prepared, variables: Mapping[str, Any] | None, context: object
    ) -> dict[str, Any]:
        """The response body (``data``, maybe ``errors``) of a query or mutation."""
        tree = self._one_tree(prepared.plan)
        execution = PlanExecution(
            self.schema,
            self.transports,
            dict(variables or {}),
            context,
            tree.at_merge if tree is not None else None,
        )
        await execution.run(prepared.plan.node)
        return self.respond(prepared, execution)

    def respond(self, prepared: Prepared, execution: PlanExecution) -> dict[str, Any]:
        """A query's or mutation's response body: the merged tree itself when it needs no
        shaping (``one_tree``: every fetch in-process), else the shaped one."""
        if not prepared.errors and not execution.errors and not execution.untidy:
            tree = self._one_tree(prepared.plan)
            data = finish(tree, execution.data, execution.at_merge) if tree is not None else None
            if data is not None:
                return {"data": data}
        return self.body(prepared, execution)

    async def events(
        self, prepared: Prepared, variables: dict[str, Any], context: object
    ) -> AsyncIterator[dict[str, Any]]:
        """A subscription's response bodies. A context that is :class:`EventScoped` is told
        when each event's response is complete."""
        executions = subscription_executions(
            self.schema, self.transports, prepared.plan.node, variables, context
        )
        async for execution in executions:
            body = self.body(prepared, execution)
            if isinstance(context, EventScoped):
                await context.end_event()
            yield body

    def _one_tree(self, plan: QueryPlan) -> OneTree | None:
        cached = self._one_trees.get(id(plan))
        if cached is None or cached[0] is not plan:
            checked = all(
                getattr(self.transports.get(name), "schema_checked", False)
                for name in plan.subgraphs
            )
            tree = one_tree(plan, self.supergraph_schema) if checked else None
            cached = (plan, tree)
            self._one_trees.put(id(plan), cached)
        return cached[1]

    def body(self, prepared: Prepared, execution: PlanExecution) -> dict[str, Any]:
        """The response shaped from the client's whole operation (the general path)."""
        errors = [*prepared.errors, *execution.errors]
        if not self.limits.suggestions:
            # A subgraph's own hints (one newer than the composed schema, say) stay inside.
            errors = [{**e, "message": without_suggestions(e["message"])} for e in errors]
        data = shape_response(
            self.schema, prepared.operation, execution.data, prepared.variables, errors
        )
        body: dict[str, Any] = {"errors": errors} if errors else {}
        body["data"] = data
        return body


def executed(body: dict[str, Any], cache_policy: CachePolicy | None = None) -> GatewayResult:
    """An executed request's result: HTTP 503 with Retry-After when its subgraphs could only
    say SERVICE_UNAVAILABLE (their database is down), else 200."""
    if is_unavailable(body):
        return GatewayResult(body, 503, unavailable_headers())
    return GatewayResult(body, cache_policy=cache_policy)
