"""Stage 5: the cost limit — list sizes multiplied down the selection, with the coerced
variables — checked BEFORE the operation is normalised (normalising expands every fragment
spread; the cost is never below the size of that expansion).

An operation's cost depends on its document and on the values of the variables its size
arguments name, nothing else (``CostEstimate.variables_read``): it is estimated once per
operation and such values (a detail query asked for id after id is estimated once; a page
once per page size), not on every request."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode

from router.analysis import CostEstimate
from router.composition.cost_directives import NO_HINTS, CostHints
from router.limits import OperationLimits, cost_errors, estimate_cost
from router.pipeline.errors import RequestError
from router.planning import LruCache


class OperationCosts:
    """Estimated costs per operation key (document, operation, schema version) and values
    of the variables the estimate read; an LRU of ``capacity`` operations."""

    def __init__(self, capacity: int = 1000) -> None:
        self._read: LruCache[Hashable, tuple[str, ...]] = LruCache(capacity)
        self._costs: LruCache[tuple[Hashable, bytes], int] = LruCache(capacity)

    def cost(
        self,
        key: Hashable,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        hints: CostHints = NO_HINTS,
    ) -> int:
        names = self._read.get(key)
        if names is not None and (values := _values(variables, names)) is not None:
            known = self._costs.get((key, values))
            if known is not None:
                return known
        estimate = CostEstimate(schema, document, variables, hints)
        cost = estimate.of(operation)
        names = tuple(sorted(estimate.variables_read))
        self._read.put(key, names)
        if (values := _values(variables, names)) is not None:
            self._costs.put((key, values), cost)
        return cost


def _values(variables: Mapping[str, Any], names: tuple[str, ...]) -> bytes | None:
    """The values of the variables ``names``, as one key (None: one JSON cannot hold)."""
    try:
        return orjson.dumps([variables.get(name) for name in names], option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None


def check_cost_limit(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    limits: OperationLimits,
    hints: CostHints = NO_HINTS,
    *,
    costs: OperationCosts | None = None,
    key: Hashable = None,
) -> None:
    """RequestError (MAX_COST_LIMIT) when the operation may cost more than the limit
    (weighed with the supergraph's ``@cost``/``@listSize`` ``hints``); with ``costs``, the
    estimate of an operation already seen (``key``) with the same sizes is reused."""
    if costs is not None and key is not None:
        cost = costs.cost(key, schema, document, operation, variables, hints)
    else:
        cost = estimate_cost(schema, document, operation, variables, hints)
    too_costly = cost_errors(cost, limits)
    if too_costly:
        raise RequestError.from_graphql("MAX_COST_LIMIT", too_costly)
