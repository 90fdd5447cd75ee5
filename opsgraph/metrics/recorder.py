"""The gateway's observer (router.observer) recording into prometheus-client's metrics."""

from __future__ import annotations

from typing import Any

from prometheus_client.metrics import MetricWrapperBase

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


class _Children:
    """A metric's children by label values, looked up in a plain dict: ``labels()``
    validates and locks on every call, a cost paid here once per (bounded) label set."""

    def __init__(self, metric: MetricWrapperBase) -> None:
        self.metric = metric
        self.children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.metric.labels(*values)
        return child


_REQUESTS = _Children(REQUESTS)
_REQUEST_SECONDS = _Children(REQUEST_SECONDS)
_ERRORS = _Children(ERRORS)
_FETCHES = _Children(FETCHES)
_FETCH_SECONDS = _Children(FETCH_SECONDS)
_RESPONSE_CACHE = _Children(RESPONSE_CACHE)
_APQ = _Children(APQ)

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
        _REQUESTS(operation, kind, outcome).inc()
        _REQUEST_SECONDS(operation, kind).observe(record.seconds)
        for code in record.error_codes:
            _ERRORS(self.codes(code)).inc()
        if record.response_cache is not None:
            _RESPONSE_CACHE(record.response_cache).inc()
        if record.apq is not None:
            _APQ(record.apq).inc()

    def subgraph_fetched(self, subgraph: str, transport: str, seconds: float, failed: bool) -> None:
        _FETCHES(subgraph, transport, "failed" if failed else "ok").inc()
        _FETCH_SECONDS(subgraph, transport).observe(seconds)


def record_refusal(code: str) -> None:
    """A request refused before the gateway saw it (no principal, rate limited, too slow)."""
    _REQUESTS(UNKNOWN, UNKNOWN, "refused").inc()
    _ERRORS(CODES(code)).inc()
