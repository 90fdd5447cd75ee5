"""Logging for every `opsgraph` command: the standard library's loggers (ours, uvicorn's,
SQLAlchemy's) all written by one handler through structlog's formatter.

`OPSGRAPH_LOG_FORMAT=json` (production's default) writes one JSON object a line: `time`
(UTC, ISO 8601), `level`, `logger`, `event` (the message), the request's fields
(fields.py: `request_id`, `trace_id`, `span_id`, `tenant`, `principal_id`,
`operation_name`), what the call passed as `extra`, and `exception` with the whole stack
trace when there is one. `text` (development's) writes the same, readable."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import Processor

from opsgraph.telemetry.fields import REQUEST_FIELDS, log_fields

# Leading every line, in this order; then the request's fields, then the rest.
LEADING = ("time", "level", "logger", "event")
# uvicorn's copy of its message with terminal colours, passed as `extra`.
DROPPED = ("color_message",)


def _request_fields(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in DROPPED:
        event.pop(key, None)
    ordered = {key: event.pop(key) for key in LEADING if key in event}
    for key, value in log_fields().items():
        ordered[key] = event.pop(key, value)
    ordered.update(event)
    return ordered


def _json_text(event: Any, default: Any = None) -> str:
    return orjson.dumps(event, default=default).decode()


def _without_empty_request_fields(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """For the text format: a line about no request does not list empty request fields."""
    for key in REQUEST_FIELDS:
        if event.get(key) is None:
            event.pop(key, None)
    return event


def formatter(log_format: str, *, colors: bool = False) -> logging.Formatter:
    """The formatter writing every record as `log_format` says."""
    pre_chain: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        structlog.stdlib.ExtraAdder(),
        _request_fields,
    ]
    if log_format == "json":
        final: list[Processor] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json_text),
        ]
    else:
        # Plain tracebacks: a rich one would print local variables (tokens among them).
        renderer: Processor = structlog.dev.ConsoleRenderer(
            colors=colors,
            exception_formatter=structlog.dev.plain_traceback,
            timestamp_key="time",
            sort_keys=False,
        )
        final = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _without_empty_request_fields,
            renderer,
        ]
    return structlog.stdlib.ProcessorFormatter(processors=final, foreign_pre_chain=pre_chain)


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every logger's records at `level` and above to `stream` (stderr) as
    `log_format` says, replacing whatever handlers the root logger had."""
    output = stream or sys.stderr
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter(log_format, colors=output.isatty()))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
