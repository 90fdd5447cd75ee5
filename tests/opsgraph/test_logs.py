"""Log lines (opsgraph/telemetry/logs.py): JSON with every field in a fixed order, the
request's fields from its context, the stack trace of an error; readable text otherwise;
JSON by default in production."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.settings import load_settings
from opsgraph.telemetry.fields import REQUEST, RequestFields
from opsgraph.telemetry.logs import formatter

NO_FILE = Path("/nonexistent/.env")
Written = tuple[logging.Logger, io.StringIO, "logging.StreamHandler[io.StringIO]"]


@pytest.fixture
def written() -> Iterator[Written]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("opsgraph.test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream, handler
    logger.removeHandler(handler)


def test_a_json_line_has_every_field_in_order(written: Written) -> None:
    logger, stream, handler = written
    handler.setFormatter(formatter("json"))
    token = REQUEST.set(RequestFields("req-1", tenant="t-1", principal_id="u-1"))
    try:
        logger.info("served %s", "it", extra={"status": 200, "color_message": "\x1b[1m"})
    finally:
        REQUEST.reset(token)

    line = json.loads(stream.getvalue())
    assert list(line) == [
        "time",
        "level",
        "logger",
        "event",
        "request_id",
        "trace_id",
        "span_id",
        "tenant",
        "principal_id",
        "operation_name",
        "status",
    ]
    assert line["time"].endswith("Z")
    assert (line["level"], line["logger"], line["event"]) == (
        "info",
        "opsgraph.test-logs",
        "served it",
    )
    assert (line["request_id"], line["tenant"], line["principal_id"]) == ("req-1", "t-1", "u-1")
    assert (line["trace_id"], line["span_id"], line["operation_name"]) == (None, None, None)
    assert line["status"] == 200


def test_an_errors_json_line_holds_its_stack_trace(written: Written) -> None:
    logger, stream, handler = written
    handler.setFormatter(formatter("json"))
    try:
        {}["missing"]
    except KeyError:
        logger.exception("failed")

    line = json.loads(stream.getvalue())
    assert line["level"] == "error"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("KeyError: 'missing'")


def test_a_text_line_lists_only_the_request_fields_it_has(written: Written) -> None:
    logger, stream, handler = written
    handler.setFormatter(formatter("text"))
    logger.warning("outside")
    token = REQUEST.set(RequestFields("req-2"))
    try:
        logger.warning("inside")
    finally:
        REQUEST.reset(token)

    outside, inside = stream.getvalue().splitlines()
    assert "[warning" in outside and "outside" in outside and "request_id" not in outside
    assert "request_id=req-2" in inside and "tenant" not in inside


@pytest.mark.parametrize(
    "environ,expected",
    [
        ({}, "text"),
        ({"OPSGRAPH_ENV": "production"}, "json"),
        ({"OPSGRAPH_ENV": "production", "OPSGRAPH_LOG_FORMAT": "text"}, "text"),
        ({"OPSGRAPH_LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_production_logs_json_by_default(environ: dict[str, str], expected: str) -> None:
    assert load_settings(environ, NO_FILE).log_format == expected
