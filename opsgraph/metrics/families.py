"""Every metric OpsGraph records per event, in prometheus-client's default registry.

Counters and histograms are module-level, as prometheus-client means them to be: in
multi-process mode (``PROMETHEUS_MULTIPROC_DIR`` set before the process starts) each
process writes them to its own files and ``/metrics`` adds up every process's. The gauges
read when scraped (pool, WebSocket, outbox) live in ``opsgraph.metrics.gauges``.

Label values are bounded (``opsgraph.metrics.labels``): operation names and error codes
come from clients and subgraphs, so only a fixed number of distinct values get a series of
their own."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds: from a cache hit (well under a millisecond) to the request timeout.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Statements of one request: a page costs a handful whatever its size (no N+1).
STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128)

REQUESTS = Counter(
    "opsgraph_graphql_requests",
    "GraphQL requests by operation name, operation type and outcome "
    "(success, partial: data with errors, error: no data, refused: before execution)",
    ["operation", "type", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "opsgraph_graphql_request_duration_seconds",
    "Time the gateway took to answer a GraphQL request, per operation",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter(
    "opsgraph_graphql_errors",
    "GraphQL errors in answers, by extensions.code (NONE: an error without a code)",
    ["code"],
)
FETCHES = Counter(
    "opsgraph_subgraph_fetches",
    "Requests the router sent to a subgraph, by subgraph, transport (in_process, http) "
    "and outcome (ok, failed: no data came back)",
    ["subgraph", "transport", "outcome"],
)
FETCH_SECONDS = Histogram(
    "opsgraph_subgraph_fetch_duration_seconds",
    "Time a subgraph took to answer one fetch",
    ["subgraph", "transport"],
    buckets=LATENCY_BUCKETS,
)
STATEMENTS = Histogram(
    "opsgraph_sql_statements_per_request",
    "SQL statements one HTTP GraphQL request sent to PostgreSQL",
    buckets=STATEMENT_BUCKETS,
)
RESPONSE_CACHE = Counter(
    "opsgraph_response_cache_lookups",
    "Response-cache lookups of cacheable queries, by result (hit, miss)",
    ["result"],
)
APQ = Counter(
    "opsgraph_apq_lookups",
    "Automatic persisted queries sent as a hash alone, by result (hit: the document was "
    "known, miss: PERSISTED_QUERY_NOT_FOUND)",
    ["result"],
)
AMQP_PUBLISHED = Counter(
    "opsgraph_amqp_messages_published",
    "Domain events the broker confirmed on the message bus export (OPSGRAPH_AMQP_URL)",
)
AMQP_PUBLISH_FAILURES = Counter(
    "opsgraph_amqp_publish_failures",
    "Export rounds the broker failed (unreachable, a nack, or no confirm in time); the "
    "unconfirmed events are published again",
)
