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
from router.planning.planner import plan

__all__ = [
    "FetchNode",
    "FlattenNode",
    "IntrospectionNode",
    "LruCache",
    "ParallelNode",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "RequiredEntity",
    "SequenceNode",
    "document_hash",
    "format_plan",
    "plan",
]
