"""Execution: run a query plan through transports and shape the client's response.

Knows subgraphs only through ``Transport`` objects; never imports subgraph code.
"""

from router.execution.executor import PlanExecution
from router.execution.http import (
    FORWARDED_HEADERS,
    HttpTransport,
    create_http_client,
    create_stream_client,
)
from router.execution.in_process import ExecuteFunction, InProcessTransport
from router.execution.shape import shape_response
from router.execution.transport import (
    SubgraphRequest,
    SubgraphResponse,
    Transport,
    reads_one_snapshot,
)

__all__ = [
    "FORWARDED_HEADERS",
    "ExecuteFunction",
    "HttpTransport",
    "InProcessTransport",
    "PlanExecution",
    "SubgraphRequest",
    "SubgraphResponse",
    "Transport",
    "create_http_client",
    "create_stream_client",
    "reads_one_snapshot",
    "shape_response",
]
