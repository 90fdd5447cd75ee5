"""Stage 5: the cost limit — list sizes multiplied down the selection, with the coerced
variables — checked BEFORE the operation is normalised (normalising expands every fragment
spread; the cost is never below the size of that expansion)."""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode

from router.composition.cost_directives import NO_HINTS, CostHints
from router.limits import OperationLimits, check_cost
from router.pipeline.errors import RequestError


def check_cost_limit(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    limits: OperationLimits,
    hints: CostHints = NO_HINTS,
) -> None:
    """RequestError (MAX_COST_LIMIT) when the operation may cost more than the limit
    (weighed with the supergraph's ``@cost``/``@listSize`` ``hints``)."""
    too_costly = check_cost(schema, document, operation, variables, limits, hints)
    if too_costly:
        raise RequestError.from_graphql("MAX_COST_LIMIT", too_costly)
