"""Stage 7: the query plan of the operation the caller may run, cached by operation key and
the coordinates pruned for the caller (callers with the same denials share a plan)."""

from __future__ import annotations

from router.composition import Supergraph
from router.pipeline.errors import RequestError
from router.planning import LruCache, NormalizedOperation, PlanningError, QueryPlan, plan_operation
from router.planning.cache import PlanKey


class PlanCache(LruCache[PlanKey, QueryPlan]):
    """Query plans of one supergraph."""

    def __init__(self, supergraph: Supergraph, capacity: int) -> None:
        super().__init__(capacity)
        self.supergraph = supergraph

    def plan(self, key: PlanKey, operation: NormalizedOperation) -> QueryPlan:
        """The plan of ``operation`` (cached under ``key``); RequestError when it has none."""
        query_plan = self.get(key)
        if query_plan is None:
            try:
                query_plan = plan_operation(self.supergraph, operation)
            except PlanningError as error:
                raise RequestError.single(error.code, error.message) from error
            self.put(key, query_plan)
        return query_plan
