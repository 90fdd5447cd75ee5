"""Stage 7: the query plan of the operation the caller may run, cached by operation key and
the coordinates pruned for the caller (callers with the same denials share a plan).

A supergraph with progressive overrides (``@override(label:)``) is planned per request
against the labels enabled for it: ``percent(N)`` labels by a random draw, named labels when
the router's configuration enables them. Each label set has its own plans.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection

from router.composition import Supergraph
from router.composition.override_labels import (
    apply_override_labels,
    draw_override_labels,
    override_labels,
)
from router.pipeline.errors import RequestError
from router.planning import LruCache, NormalizedOperation, PlanningError, QueryPlan, plan_operation
from router.planning.cache import PlanKey


class PlanCache(LruCache[PlanKey, QueryPlan]):
    """Query plans of one supergraph."""

    def __init__(
        self,
        supergraph: Supergraph,
        capacity: int,
        *,
        enabled_labels: Collection[str] = (),
        draw: Callable[[], float] = random.random,
    ) -> None:
        """``enabled_labels``: named override labels the configuration turns on;
        ``draw``: the uniform [0, 1) draw that decides ``percent(N)`` labels per request."""
        super().__init__(capacity)
        self.supergraph = supergraph
        self.labels = override_labels(supergraph)
        self.enabled_labels = frozenset(enabled_labels)
        self.draw = draw
        self._views: dict[frozenset[str], Supergraph] = {}

    def plan(self, key: PlanKey, operation: NormalizedOperation) -> QueryPlan:
        """The plan of ``operation`` (cached under ``key``); RequestError when it has none."""
        supergraph = self._for_request()
        if supergraph is not self.supergraph:
            key = (key[0], key[1], supergraph.version, key[3])
        query_plan = self.get(key)
        if query_plan is None:
            try:
                query_plan = plan_operation(supergraph, operation)
            except PlanningError as error:
                raise RequestError.single(error.code, error.message) from error
            self.put(key, query_plan)
        return query_plan

    def _for_request(self) -> Supergraph:
        """The supergraph with this request's override labels applied."""
        if not self.labels:
            return self.supergraph
        enabled = draw_override_labels(self.labels, self.enabled_labels, self.draw)
        view = self._views.get(enabled)
        if view is None:
            view = self._views[enabled] = apply_override_labels(self.supergraph, enabled)
        return view
