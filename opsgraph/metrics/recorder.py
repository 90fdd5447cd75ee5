"""The gateway's observer (router.observer) recording into prometheus-client's metrics."""

from __future__ import annotations

from opsgraph.metrics.families import (
    APQ,
    ERRORS,
    FETCH_SECONDS,
    FETCHES,
    REQUEST_SECONDS,
    REQUESTS,
    RESPONSE_CACHE,
)
from opsgraph.metrics.labels import UNKNOWN, CodeLabels, OperationLabels
from router.observer import RequestRecord

# One bound per process, whichever app (router, split router) records.
OPERATIONS = OperationLabels()
CODES = CodeLabels()


class GatewayMetrics:
    """Requests, errors, cache and APQ lookups, subgraph fetches."""

    def __init__(self, operations: OperationLabels = OPERATIONS, codes: CodeLabels = CODES):
        self.operations = operations
        self.codes = codes

    def request_finished(self, record: RequestRecord) -> None:
        kind = record.operation_type
        operation = self.operations(record.operation_name, kind is not None)
        kind = kind or UNKNOWN
        if not record.executed:
            outcome = "refused"
        elif not record.error_codes:
            outcome = "success"
        else:
            outcome = "partial" if record.has_data else "error"
        REQUESTS.labels(operation, kind, outcome).inc()
        REQUEST_SECONDS.labels(operation, kind).observe(record.seconds)
        for code in record.error_codes:
            ERRORS.labels(self.codes(code)).inc()
        if record.response_cache is not None:
            RESPONSE_CACHE.labels(record.response_cache).inc()
        if record.apq is not None:
            APQ.labels(record.apq).inc()

    def subgraph_fetched(self, subgraph: str, transport: str, seconds: float, failed: bool) -> None:
        FETCHES.labels(subgraph, transport, "failed" if failed else "ok").inc()
        FETCH_SECONDS.labels(subgraph, transport).observe(seconds)


def record_refusal(code: str) -> None:
    """A request refused before the gateway saw it (no principal, rate limited, too slow)."""
    REQUESTS.labels(UNKNOWN, UNKNOWN, "refused").inc()
    ERRORS.labels(CODES(code)).inc()
