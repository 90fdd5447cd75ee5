"""Query planning: a client operation → a tree of subgraph fetches (``QueryPlan``).

Depends on composition metadata only; knows nothing about transports or HTTP.
"""

from router.planning.cache import LruCache, document_hash
from router.planning.errors import PlanningError
from router.planning.format import format_plan
from router.planning.nodes import (
    FetchNode,
    FlattenNode,
    IntrospectionNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiredEntity,
    SequenceNode,
)
from router.planning.operation import NormalizedOperation, root_response_keys
from router.planning.planner import plan, plan_operation, select_operation
from router.planning.pruning import GuardedOperation, Removed, guard, prune

__all__ = [
    "FetchNode",
    "FlattenNode",
    "GuardedOperation",
    "IntrospectionNode",
    "LruCache",
    "NormalizedOperation",
    "ParallelNode",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "Removed",
    "RequiredEntity",
    "SequenceNode",
    "document_hash",
    "format_plan",
    "guard",
    "plan",
    "plan_operation",
    "prune",
    "root_response_keys",
    "select_operation",
]
