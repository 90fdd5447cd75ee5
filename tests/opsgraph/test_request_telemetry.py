"""Request ids and whether to trace (opsgraph/telemetry/requests.py, tracing.py)."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from opsgraph.telemetry.requests import request_id_from
from opsgraph.telemetry.tracing import tracing_requested


@pytest.mark.parametrize("given", ["c0ffee", "a" * 128, "req:42/retry-1"])
def test_a_clients_request_id_is_kept(given: str) -> None:
    assert request_id_from(Headers({"x-request-id": given})) == given


@pytest.mark.parametrize("given", ["", "a" * 129, "two words", "tab\there", "naïve"])
def test_an_unusable_request_id_is_replaced(given: str) -> None:
    made = request_id_from(Headers(raw=[(b"x-request-id", given.encode())]))
    assert made != given and len(made) == 32 and int(made, 16) >= 0


def test_a_request_without_an_id_gets_a_new_one_each_time() -> None:
    assert request_id_from(Headers({})) != request_id_from(Headers({}))


@pytest.mark.parametrize(
    "environ,traced",
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"},
            False,
        ),
    ],
)
def test_tracing_is_on_only_with_an_endpoint(environ: dict[str, str], traced: bool) -> None:
    assert tracing_requested(environ) is traced
